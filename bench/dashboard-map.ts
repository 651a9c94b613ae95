// `npm run bench:dashboard`: what the dashboard's map does per redraw — project the fleet into
// the view box and grid-cluster it — timed for 1k, 10k and 100k devices. Prints figures only.
import { performance } from 'node:perf_hooks';
import { gridClusters, mergeClose } from '../dashboard/src/cluster.js';
import { boundsOf, projectInto } from '../dashboard/src/fleet-map.js';

const fleet = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const r = 0.002 * Math.sqrt(i);
    return {
      deviceId: `d-${i}`,
      lat: 50 + (i % 4) + r * Math.sin(i),
      lon: 19 + (i % 4) + r * Math.cos(i),
      value: i % 90,
    };
  });

console.log('devices   markers   median ms (project + cluster + merge, 20 runs)');
for (const n of [1_000, 10_000, 100_000]) {
  const points = fleet(n);
  const times: number[] = [];
  let markers = 0;
  for (let run = 0; run < 20; run++) {
    const t0 = performance.now();
    const bounds = boundsOf(points);
    if (!bounds) throw new Error('no bounds');
    markers = mergeClose(gridClusters(projectInto(points, bounds, 360, 220), 28), 28).length;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? Number.NaN;
  console.log(`${String(n).padStart(7)}   ${String(markers).padStart(7)}   ${median.toFixed(2)}`);
}

// check-drift's readings profile as it was before it streamed: every curated column of the
// window loaded at once, then binned. Kept only as the baseline that bench/drift.ts measures the
// streaming profile against, and that the unit test holds it equal to.
import { listCuratedFiles, readCuratedColumns } from '../core/curated/reader.js';
import { driftProfile } from '../core/drift.js';
import { partitionDate } from '../core/lake.js';
import { METRICS, type Metric } from '../core/metrics.js';
import type { ObjectStore } from '../core/ports.js';
import type { ReadingsProfile } from '../functions/check-drift/check-drift.js';

export const wholeWindowReadingsProfile = async (
  store: ObjectStore,
  fromMs: number,
  toMs = Number.POSITIVE_INFINITY,
  hours?: Set<number>,
): Promise<ReadingsProfile> => {
  const files = (
    await listCuratedFiles(store, { fromDt: partitionDate(Math.max(0, fromMs)) })
  ).filter((f) => !Number.isFinite(toMs) || f.dt <= partitionDate(toMs));
  const columns = await readCuratedColumns(store, files, ['ts', ...METRICS]);
  const ts = columns.ts ?? [];
  const values: Partial<Record<Metric, number[]>> = {};
  const seenHours = new Set<number>();
  let count = 0;
  for (let i = 0; i < ts.length; i++) {
    const t = Number(ts[i]);
    if (!(t >= fromMs && t < toMs)) continue;
    const hour = new Date(t).getUTCHours();
    if (hours && !hours.has(hour)) continue;
    seenHours.add(hour);
    count++;
    for (const metric of METRICS) {
      const v = columns[metric]?.[i];
      if (typeof v === 'number' && Number.isFinite(v)) {
        const bucket = values[metric] ?? [];
        bucket.push(v);
        values[metric] = bucket;
      }
    }
  }
  return { profile: driftProfile(values), count, hours: seenHours };
};

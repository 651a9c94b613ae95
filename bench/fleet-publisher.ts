// The simulated fleet of bench:fleet, in a process of its own (as a real fleet is not inside the
// runtime): backfills `--days` of readings for `--devices` devices into `--url` and prints one
// JSON line of FleetStats every second on stdout, then `{"done":true,…}` once every reading is
// acknowledged. Run by bench/fleet.ts; usable alone for a broker under test.
import { parseArgs } from 'node:util';
import { startFleet } from '../device/fleet.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    devices: { type: 'string', default: '50' },
    days: { type: 'string', default: '2' },
    'step-minutes': { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    'readings-per-message': { type: 'string', default: '1' },
  },
  strict: true,
});
if (!values.url) {
  console.error(
    'Usage: tsx bench/fleet-publisher.ts --url mqtt://127.0.0.1:PORT [--devices N] [--days D] [--step-minutes M] [--connections C]',
  );
  process.exit(2);
}

const main = async () => {
  const fleet = await startFleet({
    broker: { kind: 'local', url: values.url as string },
    devices: Number(values.devices),
    connections: Number(values.connections),
    maxInFlightPerConnection: 500,
    seed: 42,
    backfillHours: Number(values.days) * 24,
    stepMinutes: Number(values['step-minutes']),
    realtime: false,
    readingsPerMessage: Number(values['readings-per-message']),
  });
  const report = (extra: Record<string, unknown> = {}) =>
    process.stdout.write(`${JSON.stringify({ ...fleet.stats(), devices: undefined, ...extra })}\n`);
  const ticker = setInterval(report, 1_000);
  await fleet.backfillDone;
  clearInterval(ticker);
  report({ done: true });
  await fleet.stop();
};

main().then(
  // aws-crt can keep the event loop alive after its clients close.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);

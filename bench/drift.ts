// Benchmark of check-drift's readings profile: the whole-window loader it had (every column of
// the window in memory) against the streaming one (a row group at a time into fixed-bin
// histograms), on the same curated lake on disk: 100 devices reporting every minute, one
// Parquet file per day. Each variant runs in its own child process, so its peak RSS is its own.
// Progress on stderr; one JSON line on stdout.
//
//   npm run bench:drift                       # 1,000,000 and 4,000,000 rows
//   npm run bench:drift -- --sizes 200000     # a quick look
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeCuratedRows } from '../core/curated/reader.js';
import { type CuratedRow, partitionFileKey } from '../core/curated/schema.js';
import { createRandom } from '../core/random.js';
import { readingsProfile } from '../functions/check-drift/check-drift.js';
import { wholeWindowReadingsProfile } from './drift-whole-window.js';
import { FsObjectStore } from './fs-object-store.js';

const DEVICES = 100;
const STEP_MS = 60_000;
const START = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;

const progress = (message: string) =>
  process.stderr.write(`${new Date().toISOString()} ${message}\n`);

/** Writes `rows` curated readings (100 devices, one a minute each) as one Parquet file per day. */
const generate = async (store: FsObjectStore, rows: number): Promise<void> => {
  const next = createRandom(42);
  const perDay = DEVICES * (DAY_MS / STEP_MS);
  for (let day = 0, written = 0; written < rows; day++) {
    const n = Math.min(perDay, rows - written);
    const batch: CuratedRow[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const ts = START + day * DAY_MS + Math.floor(i / DEVICES) * STEP_MS;
      const hourly = 1 + 0.5 * Math.sin(((ts / 3_600_000) % 24) * (Math.PI / 12));
      batch[i] = {
        deviceId: `sensor-${String(i % DEVICES).padStart(3, '0')}`,
        ts,
        seq: written + i,
        lat: 39.9,
        lon: 116.4,
        o3: 60 * hourly * (0.5 + next()),
        pm25: 35 * hourly * (0.5 + next()),
        pm10: 80 * hourly * (0.5 + next()),
        co: 900 * (0.5 + next()),
        so2: 8 * (0.5 + next()),
        no2: 40 * hourly * (0.5 + next()),
        receivedAt: ts,
      };
    }
    await store.put(
      partitionFileKey(new Date(START + day * DAY_MS).toISOString().slice(0, 10)),
      encodeCuratedRows(batch),
    );
    written += n;
    progress(`  generated ${written} / ${rows} rows`);
  }
};

/** Child: profiles the whole lake with one variant; prints seconds, peak RSS and a checksum. */
const worker = async (mode: string, root: string) => {
  const store = new FsObjectStore(root);
  const started = performance.now();
  const profile =
    mode === 'whole-window'
      ? await wholeWindowReadingsProfile(store, 0)
      : await readingsProfile(store, 0);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    JSON.stringify({
      seconds: Math.round(seconds * 100) / 100,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      readings: profile.count,
      // Equal histograms give equal checksums: the two variants must agree.
      checksum: Object.values(profile.profile).reduce(
        (sum, h) => sum + (h?.counts.reduce((s, c, i) => s + c * (i + 1), 0) ?? 0),
        0,
      ),
    }),
  );
};

const run = (mode: string, root: string) => {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', self, '--worker', mode, '--root', root],
    {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (child.status !== 0)
    throw new Error(`${mode} worker failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as {
    seconds: number;
    peakRssMiB: number;
    readings: number;
    checksum: number;
  };
};

const main = async () => {
  const { values } = parseArgs({
    options: { sizes: { type: 'string' }, worker: { type: 'string' }, root: { type: 'string' } },
    strict: true,
  });
  if (values.worker) {
    if (!values.root) throw new Error('--root is required with --worker');
    await worker(values.worker, values.root);
    return;
  }
  const sizes = (values.sizes ?? '1000000,4000000').split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`--sizes: "${s}" is not a positive whole number`);
    return n;
  });
  const results = [];
  for (const rows of sizes) {
    const root = await mkdtemp(join(tmpdir(), 'smogcast-bench-drift-'));
    try {
      progress(`${rows} rows: writing the curated lake to ${root}`);
      await generate(new FsObjectStore(root), rows);
      progress(`${rows} rows: whole-window profile (the previous check-drift)`);
      const before = run('whole-window', root);
      progress(`${rows} rows: streaming profile`);
      const after = run('streaming', root);
      if (before.readings !== after.readings || before.checksum !== after.checksum) {
        throw new Error(`the variants disagree: ${JSON.stringify({ before, after })}`);
      }
      progress(
        `${rows} rows: whole-window ${before.seconds} s, ${before.peakRssMiB} MiB; streaming ${after.seconds} s, ${after.peakRssMiB} MiB`,
      );
      results.push({ rows, wholeWindow: before, streaming: after });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  console.log(
    JSON.stringify({ bench: 'drift', devices: DEVICES, stepSeconds: STEP_MS / 1000, results }),
  );
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});

// Benchmark of the lake → training-data path: generate N raw readings (3% malformed, plus
// at-least-once duplicates and late readings) in Firehose's layout on disk (gzip objects with
// `.gz` keys, as the delivery stream's CompressionFormat GZIP writes them, so the gunzip is timed), run the local ETL
// and prepare-deepar on them, and run the same conversion with DuckDB as the reference: every
// line validated by the contract's rules, bad ones quarantined with a reason, de-duplicated,
// sorted, snappy Parquet by dt (its row and quarantine counts match the ETL's). DuckDB's
// read_json fast path (bad lines silently dropped) is printed too, for scale.
// Each engine runs in its own child process so peak RSS is its own. Prints progress, one line
// per figure, and ends with one JSON line.
//
//   npm run bench:etl                       # N = 1,000,000 and 5,000,000
//   npm run bench:etl -- --sizes 200000     # a quick look
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firehoseObjectKey } from '../core/lake.js';
import { METRICS } from '../core/metrics.js';
import { createRandom } from '../core/random.js';
import { GZIP_KEY_SUFFIX, gzipRawBody } from '../core/raw-object.js';
import { telemetryTopic } from '../core/telemetry.js';
import { prepareDeepAr } from '../functions/prepare-deepar/prepare-deepar.js';
import { runEtl } from '../glue/twin/etl.js';
import { FsObjectStore } from './fs-object-store.js';

const DEVICES = 100;
/** One reading a minute per device, spread wider when N is small so every run has the 48 hourly
 * points per series that prepare-deepar needs (4 days of history at least). */
const MIN_HISTORY_MS = 4 * 86_400_000;
const stepMsFor = (n: number): number =>
  Math.max(60_000, Math.ceil((MIN_HISTORY_MS * DEVICES) / n / 60_000) * 60_000);
const LINES_PER_OBJECT = 1_500;
const START = Date.UTC(2026, 0, 1);
const MALFORMED_SHARE = 0.03;
const DUPLICATE_SHARE = 0.01;
const LATE_SHARE = 0.005;

const malformed = (line: string, kind: number): string => {
  switch (kind % 4) {
    case 0:
      return line.slice(0, Math.floor(line.length / 2)); // truncated: not JSON
    case 1:
      return line.replace('"pm25":', '"pm25":-'); // negative concentration
    case 2:
      return line.replace(/"ts":"[^"]+"/, '"ts":"yesterday"');
    default:
      return line.replace(/"o3":[\d.]+/, '"o3":"high"');
  }
};

/** Writes N lines as gzip Firehose objects under <root>/raw/, one object per LINES_PER_OBJECT. */
const generate = async (root: string, n: number): Promise<number> => {
  // Seeded: the data must be identical for both engines and across runs.
  const next = createRandom(42);
  const stepMs = stepMsFor(n);
  let pending: string[] = [];
  let late: string[] = [];
  let written = 0;
  let objects = 0;
  let deliveredAt = START;
  const flush = async () => {
    if (pending.length === 0) return;
    const key = firehoseObjectKey(
      'raw/',
      'smogcast-raw',
      deliveredAt,
      `00000000-0000-4000-8000-${String(objects).padStart(12, '0')}`,
    );
    const path = join(root, `${key}${GZIP_KEY_SUFFIX}`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, gzipRawBody(`${pending.join('\n')}\n`));
    objects++;
    pending = [];
  };
  for (let step = 0; written < n; step++) {
    const ts = START + step * stepMs;
    for (let d = 0; d < DEVICES && written < n; d++) {
      const deviceId = `dev-${String(d).padStart(3, '0')}`;
      const wave = Math.sin((2 * Math.PI * (ts % 86_400_000)) / 86_400_000 + d);
      let line = JSON.stringify({
        deviceId,
        ts: new Date(ts).toISOString(),
        seq: step,
        lat: 50 + d / 1000,
        lon: 19.9 + d / 1000,
        o3: Math.round((40 + 20 * wave + 5 * next()) * 10) / 10,
        pm25: Math.round((15 + 10 * wave + 5 * next()) * 10) / 10,
        pm10: Math.round((30 + 15 * wave + 8 * next()) * 10) / 10,
        co: Math.round((0.5 + 0.2 * wave + 0.1 * next()) * 1000) / 1000,
        so2: next() < 0.2 ? null : Math.round(5 + 3 * next()),
        no2: Math.round((25 + 10 * wave + 5 * next()) * 10) / 10,
        receivedAt: ts + 800,
        topic: telemetryTopic(deviceId),
      });
      const roll = next();
      if (roll < MALFORMED_SHARE) line = malformed(line, Math.floor(next() * 4));
      else if (roll < MALFORMED_SHARE + LATE_SHARE) {
        late.push(line); // delivered a few hours later, out of order
        continue;
      }
      pending.push(line);
      written++;
      if (roll > 1 - DUPLICATE_SHARE && written < n) {
        pending.push(line.replace(/"receivedAt":\d+/, `"receivedAt":${ts + 5_000}`));
        written++;
      }
      if (pending.length >= LINES_PER_OBJECT) {
        deliveredAt = ts;
        await flush();
        if (late.length > 0 && next() < 0.05) {
          const held = late;
          late = [];
          for (const l of held) {
            if (written >= n) break;
            pending.push(l);
            written++;
          }
        }
      }
    }
  }
  deliveredAt = START + Math.ceil(n / DEVICES) * stepMs;
  await flush();
  return objects;
};

const sizeOf = async (dir: string): Promise<{ bytes: number; files: number }> => {
  let bytes = 0;
  let files = 0;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        bytes += (await stat(path)).size;
        files++;
      }
    }
  };
  await walk(dir);
  return { bytes, files };
};

const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

const workerLocal = async (root: string): Promise<object> => {
  const store = new FsObjectStore(root);
  // Sampled during the run: what the process holds live, next to the OS's peak RSS.
  const peak = { heapMiB: 0, arrayBuffersMiB: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak.heapMiB = Math.max(peak.heapMiB, m.heapUsed / 1048576);
    peak.arrayBuffersMiB = Math.max(peak.arrayBuffersMiB, m.arrayBuffers / 1048576);
  }, 100);
  const log = (msg: string) => {
    process.stderr.write(`  ${msg}\n`);
  };
  let t = performance.now();
  const cpu = process.cpuUsage();
  // As DuckDB does, use the machine's cores (parse workers; the main thread merges and encodes).
  const etl = await runEtl(
    { runId: 'bench' },
    {
      store,
      now: () => Date.UTC(2027, 0, 1),
      log,
      parallelism: Number(process.env.ETL_PARALLELISM ?? availableParallelism()),
    },
  );
  const etlMs = performance.now() - t;
  const etlCpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
  const etlPeak = { ...peak, rssMiB: peakRssMiB() };
  t = performance.now();
  const prepare = await prepareDeepAr(
    {
      runId: 'bench',
      startedAt: new Date().toISOString(),
      predictionLength: 24,
      historyDays: 7,
    },
    { store, log },
  );
  const prepareMs = performance.now() - t;
  clearInterval(sampler);
  return {
    peak: { etl: etlPeak, all: peak },
    etl,
    etlMs,
    etlCpuMs,
    prepare: { series: prepare.series, skipped: prepare.skipped, rowsRead: prepare.rowsRead },
    prepareMs,
    peakRssMiB: peakRssMiB(),
    curated: await sizeOf(join(root, 'curated')),
    quarantine: await sizeOf(join(root, 'quarantine')),
    deepar: await sizeOf(join(root, 'deepar')),
  };
};

/** An in-memory DuckDB for the SQL comparisons, writing under `<root>/duckdb`. */
const openDuckDb = async (root: string) => {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  return { instance, connection: await instance.connect(), out: join(root, 'duckdb') };
};

/** DuckDB's own fast path, for scale: read_json drops bad lines (no quarantine), no sort. */
const workerDuckDbFast = async (root: string): Promise<object> => {
  const { instance, connection, out } = await openDuckDb(root);
  const columns = {
    deviceId: 'VARCHAR',
    ts: 'VARCHAR',
    seq: 'BIGINT',
    lat: 'DOUBLE',
    lon: 'DOUBLE',
    ...Object.fromEntries(METRICS.map((m) => [m, 'DOUBLE'])),
    receivedAt: 'BIGINT',
    topic: 'VARCHAR',
  };
  const columnsSql = `{${Object.entries(columns)
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ')}}`;
  const t = performance.now();
  // Typed read, validity filter, de-duplication on (deviceId, seq | ts), dt partitions, snappy.
  await connection.run(`
    COPY (
      SELECT deviceId, t AS ts, seq, lat, lon, ${METRICS.join(', ')}, receivedAt,
             strftime(t, '%Y-%m-%d') AS dt
      FROM (
        SELECT *, try_cast(ts AS TIMESTAMPTZ) AS t
        FROM read_json('${join(root, 'raw')}/**', format = 'newline_delimited',
                       columns = ${columnsSql}, ignore_errors = true)
      )
      WHERE t IS NOT NULL AND regexp_full_match(deviceId, '[A-Za-z0-9_.:-]{1,128}')
        AND (seq IS NULL OR seq >= 0)
        AND (lat IS NULL OR lat BETWEEN -90 AND 90) AND (lon IS NULL OR lon BETWEEN -180 AND 180)
        AND ${METRICS.map((m) => `(${m} IS NULL OR ${m} BETWEEN 0 AND 100000)`).join(' AND ')}
      QUALIFY row_number() OVER (
        PARTITION BY deviceId, seq IS NULL, coalesce(seq, epoch_ms(t)) ORDER BY receivedAt) = 1
    ) TO '${out}-fast' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt), OVERWRITE_OR_IGNORE)`);

  const duckMs = performance.now() - t;
  connection.closeSync();
  instance.closeSync();
  await rm(`${out}-fast`, { recursive: true, force: true });
  return { duckMs, peakRssMiB: peakRssMiB() };
};

const workerDuckDb = async (root: string): Promise<object> => {
  const { instance, connection, out } = await openDuckDb(root);
  const t = performance.now();
  // The same conversion as the local ETL, in SQL: every line kept as text (a bad one goes to
  // quarantine with a reason), parsed once, validated by the telemetry contract's rules,
  // de-duplicated on (deviceId, seq | ts), sorted by (deviceId, ts) within dt partitions,
  // written as snappy Parquet; bad lines written as NDJSON {reason, sourceKey, line}.
  const SEP = '\u0001'; // never in JSON text: each line is one CSV field
  const num = (m: string) => `json_type(j, '$.${m}')`;
  const isNum = (m: string) => `${num(m)} IN ('UBIGINT', 'BIGINT', 'DOUBLE')`;
  const optionalRange = (m: string, lo: number, hi: number, message: string) =>
    `CASE WHEN ${num(m)} IS NOT NULL AND ${num(m)} <> 'NULL' AND NOT (${isNum(m)} AND TRY_CAST(j->>'$.${m}' AS DOUBLE) BETWEEN ${lo} AND ${hi}) THEN '${m}: ${message}' END`;
  await connection.run(`
    CREATE TEMP TABLE checked AS
    SELECT sourceKey, line, j,
      CASE
        WHEN j IS NULL THEN 'line is not valid JSON'
        WHEN json_type(j) <> 'OBJECT' THEN 'message is not a JSON object'
        ELSE concat_ws('; ',
          CASE WHEN json_type(j, '$.deviceId') IS DISTINCT FROM 'VARCHAR'
                 OR NOT regexp_full_match(j->>'$.deviceId', '[A-Za-z0-9_.:-]{1,128}')
               THEN 'deviceId: invalid' END,
          CASE WHEN json_type(j, '$.ts') IS DISTINCT FROM 'VARCHAR'
                 OR NOT regexp_full_match(j->>'$.ts', '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]00:?00)')
                 OR try_cast(j->>'$.ts' AS TIMESTAMPTZ) IS NULL
               THEN 'ts: invalid' END,
          CASE WHEN ${num('seq')} IS NOT NULL AND NOT (${num('seq')} IN ('UBIGINT', 'BIGINT') AND TRY_CAST(j->>'$.seq' AS HUGEINT) >= 0)
               THEN 'seq: invalid' END,
          ${optionalRange('lat', -90, 90, 'out of range')},
          ${optionalRange('lon', -180, 180, 'out of range')},
          ${METRICS.map((m) => optionalRange(m, 0, 100000, 'invalid')).join(',\n')},
          CASE WHEN json_type(j, '$.topic') IS NOT NULL
                 AND (j->>'$.topic') <> ('smogcast/' || (j->>'$.deviceId') || '/telemetry')
               THEN 'topic: does not match' END
        )
      END AS reason
    FROM (
      SELECT filename AS sourceKey, line, CASE WHEN json_valid(line) THEN line::JSON END AS j
      FROM read_csv('${join(root, 'raw')}/**', columns = {'line': 'VARCHAR'}, delim = '${SEP}',
                    quote = '', escape = '', header = false, filename = true, auto_detect = false)
    )`);
  await connection.run(`
    COPY (
      SELECT deviceId, ts, seq, lat, lon, ${METRICS.join(', ')}, receivedAt, strftime(ts, '%Y-%m-%d') AS dt
      FROM (
        SELECT j->>'$.deviceId' AS deviceId, (j->>'$.ts')::TIMESTAMPTZ AS ts,
               (j->>'$.seq')::BIGINT AS seq, (j->>'$.lat')::DOUBLE AS lat, (j->>'$.lon')::DOUBLE AS lon,
               ${METRICS.map((m) => `(j->>'$.${m}')::DOUBLE AS ${m}`).join(', ')},
               (j->>'$.receivedAt')::BIGINT AS receivedAt
        FROM checked WHERE reason = ''
      )
      QUALIFY row_number() OVER (
        PARTITION BY deviceId, seq IS NULL, coalesce(seq, epoch_ms(ts)) ORDER BY receivedAt) = 1
      ORDER BY dt, deviceId, ts
    ) TO '${out}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (dt), OVERWRITE_OR_IGNORE)`);
  await connection.run(`
    COPY (SELECT reason, sourceKey, line FROM checked WHERE reason <> '')
    TO '${join(root, 'duckdb-quarantine.ndjson')}' (FORMAT json)`);
  const duckMs = performance.now() - t;
  const rows = await connection.runAndReadAll(`SELECT count(*)::BIGINT FROM '${out}/**/*.parquet'`);
  const bad = await connection.runAndReadAll(
    `SELECT count(*)::BIGINT FROM read_json('${join(root, 'duckdb-quarantine.ndjson')}')`,
  );
  connection.closeSync();
  instance.closeSync();
  return {
    duckMs,
    rows: Number(rows.getRows()[0]?.[0] ?? 0),
    quarantined: Number(bad.getRows()[0]?.[0] ?? 0),
    peakRssMiB: peakRssMiB(),
    output: await sizeOf(out),
  };
};

const runChild = (mode: string, root: string): Record<string, unknown> => {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, '--worker', mode, root], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 16 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`${mode} worker failed (${child.status})`);
  const last = child.stdout.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last) as Record<string, unknown>;
};

const mib = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const rate = (rows: number, ms: number): number => Math.round((rows / ms) * 1000);

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  if (args[0] === '--generate') {
    // Only generate (for profiling a worker by hand): --generate <dir> <n>
    await generate(args[1] ?? '', Number(args[2]));
    return;
  }
  if (args[0] === '--worker') {
    const [, mode, root] = args;
    const result =
      mode === 'duckdb'
        ? await workerDuckDb(root ?? '')
        : mode === 'duckdb-fast'
          ? await workerDuckDbFast(root ?? '')
          : await workerLocal(root ?? '');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const sizesArg = args.indexOf('--sizes');
  const sizes =
    sizesArg >= 0 ? (args[sizesArg + 1] ?? '').split(',').map(Number) : [1_000_000, 5_000_000];
  const summary: Record<string, unknown> = { peakRssMiB: {} };
  let last: { etlRowsPerSec: number; duckdbRowsPerSec: number; prepareRowsPerSec: number } = {
    etlRowsPerSec: 0,
    duckdbRowsPerSec: 0,
    prepareRowsPerSec: 0,
  };
  for (const n of sizes) {
    const root = join(tmpdir(), `smogcast-bench-etl-${process.pid}-${n}`);
    await rm(root, { recursive: true, force: true });
    try {
      console.log(`N=${n}: generating raw lake in ${root} …`);
      const objects = await generate(root, n);
      const raw = await sizeOf(join(root, 'raw'));
      console.log(`N=${n}: ${objects} raw objects, ${mib(raw.bytes)} gzip`);
      console.log(`N=${n}: DuckDB, the same conversion (quarantine with reasons, sorted) …`);
      const duck = runChild('duckdb', root) as {
        duckMs: number;
        rows: number;
        quarantined: number;
        peakRssMiB: number;
        output: { bytes: number; files: number };
      };
      console.log(`N=${n}: DuckDB, read_json fast path (drops bad lines, no quarantine) …`);
      const duckFast = runChild('duckdb-fast', root) as { duckMs: number };
      console.log(`N=${n}: local ETL + prepare-deepar …`);
      const local = runChild('local', root) as {
        etl: {
          rows: number;
          lines: number;
          quarantined: number;
          duplicates: number;
          partitions: string[];
        };
        etlMs: number;
        prepare: { series: number; skipped: number; rowsRead: number };
        prepareMs: number;
        peakRssMiB: number;
        curated: { bytes: number; files: number };
        quarantine: { bytes: number };
        deepar: { bytes: number };
      };
      const etlRowsPerSec = rate(local.etl.lines, local.etlMs);
      const duckdbRowsPerSec = rate(n, duck.duckMs);
      const prepareRowsPerSec = rate(local.prepare.rowsRead, local.prepareMs);
      console.log(
        `N=${n}: local ETL   ${(local.etlMs / 1000).toFixed(1)} s, ${etlRowsPerSec} rows/s, ${local.etl.rows} rows, ${local.etl.quarantined} quarantined, ${local.etl.duplicates} duplicates, ${local.etl.partitions.length} partitions, curated ${mib(local.curated.bytes)} in ${local.curated.files} files, quarantine ${mib(local.quarantine.bytes)}`,
      );
      console.log(
        `N=${n}: DuckDB      ${(duck.duckMs / 1000).toFixed(1)} s, ${duckdbRowsPerSec} rows/s, ${duck.rows} rows, ${duck.quarantined} quarantined, ${mib(duck.output.bytes)} in ${duck.output.files} files, peak RSS ${duck.peakRssMiB.toFixed(0)} MiB (same conversion)`,
      );
      console.log(
        `N=${n}: DuckDB fast path ${(duckFast.duckMs / 1000).toFixed(1)} s, ${rate(n, duckFast.duckMs)} rows/s (read_json, bad lines dropped: for scale, not the reference)`,
      );
      console.log(
        `N=${n}: prepare     ${(local.prepareMs / 1000).toFixed(1)} s, ${prepareRowsPerSec} rows/s, ${local.prepare.series} series (${local.prepare.skipped} skipped), DeepAR ${mib(local.deepar.bytes)}`,
      );
      console.log(
        `N=${n}: local peak RSS ${local.peakRssMiB.toFixed(0)} MiB; ETL/DuckDB ratio ${(etlRowsPerSec / duckdbRowsPerSec).toFixed(2)}`,
      );
      (summary.peakRssMiB as Record<string, number>)[String(n)] = Math.round(local.peakRssMiB);
      last = { etlRowsPerSec, duckdbRowsPerSec, prepareRowsPerSec };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  const ratio = Math.round((last.etlRowsPerSec / last.duckdbRowsPerSec) * 100) / 100;
  const peaks = summary.peakRssMiB as Record<string, number>;
  const [small, large] = sizes.map((n) => peaks[String(n)] ?? 0);
  if (small && large)
    console.log(`peak RSS ratio ${sizes.at(-1)}/${sizes[0]}: ${(large / small).toFixed(2)}`);
  console.log(
    JSON.stringify({
      etlRowsPerSec: last.etlRowsPerSec,
      duckdbRowsPerSec: last.duckdbRowsPerSec,
      ratio,
      prepareRowsPerSec: last.prepareRowsPerSec,
      peakRssMiB: peaks,
    }),
  );
};

await main();

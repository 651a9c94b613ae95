// npm run bench:accuracy — the forecasting engine against the classical anchors on the Beijing
// air-quality data. Rolling origin over the last 8 weeks of each series (one origin per 24 h at
// midnight, up to 1344 h of history, 24 h ahead) for PM2.5, O3, NO2 and CO at every station.
// The engine is trained once on everything before the evaluation window (all six metrics, all
// stations: one global model) and queried through the real model server over HTTP; the
// baselines fit each origin's history. Then the trainer runs on the whole data set through the
// training-container contract, to time it. Beside them, on the same splits, two global
// baselines in Debian's Python (bench/accuracy/gbm.py, deepar.py): gradient boosting with
// quantile loss and a DeepAR-style LSTM. `--train-days 3,7,14,28` repeats everything with the
// training data cut to the last N days before the window (a young fleet: histories start there
// too). Prints progress, a table per scenario, and one JSON line last.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { DeepArResponse } from '../core/ports.js';
import { nearestRankPercentile } from '../core/stats.js';
import { createModelServer } from '../forecasting/container/model-server.js';
import { MODEL_FILE, runTraining } from '../forecasting/container/run-training.js';
import { parseHyperparameters } from '../forecasting/model/hyperparameters.js';
import { defaultForecaster } from '../forecasting/model/registry.js';
import { mstlEts, naive, seasonalNaive24 } from './accuracy/baselines.js';
import { loadBeijing, METRICS, type StationSeries, shiftStart } from './accuracy/beijing.js';
import {
  missingDependency,
  PYTHON_BASELINES,
  type PythonSeries,
  runPythonBaseline,
} from './accuracy/python-baselines.js';
import { type QuantileForecast, Score } from './accuracy/scores.js';

const { values: args } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '../shared/data/beijing-air-quality' },
    weeks: { type: 'string', default: '8' },
    stations: { type: 'string' },
    'skip-mstl': { type: 'boolean', default: false },
    'skip-full-train': { type: 'boolean', default: false },
    'train-days': { type: 'string', default: '' },
    'skip-gbm': { type: 'boolean', default: false },
    'skip-deepar': { type: 'boolean', default: false },
    'deepar-epochs': { type: 'string', default: '8' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'npm run bench:accuracy -- [--data-dir DIR] [--weeks 8] [--stations N] [--train-days 3,7,14,28] [--skip-mstl] [--skip-gbm] [--skip-deepar] [--deepar-epochs 8] [--skip-full-train]',
  );
  process.exit(0);
}

const HORIZON = 24;
const HISTORY = 1344;
const EVAL_METRICS = ['pm25', 'o3', 'no2', 'co'];
const HYPERPARAMETERS = {
  time_freq: 'H',
  prediction_length: String(HORIZON),
  context_length: '72',
  epochs: '1',
  likelihood: 'student-T',
  num_eval_samples: '100',
  test_quantiles: '[0.1, 0.5, 0.9]',
};
const METHODS = ['engine', 'gbm', 'deepar', 'naive', 'snaive24', 'mstl'] as const;
type Method = (typeof METHODS)[number];

const log = (message: string) => console.log(`[bench:accuracy] ${message}`);
const seconds = (from: number) => (performance.now() - from) / 1000;

const deepArLines = (stations: StationSeries[], cut: (length: number) => number) =>
  stations.flatMap((station, s) =>
    METRICS.map((metric, m) => {
      const values = station.values[metric.name] ?? [];
      return { start: station.start, target: values.slice(0, cut(values.length)), cat: [s, m] };
    }),
  );

const postJson = async (url: string, body: unknown): Promise<DeepArResponse> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`model server ${response.status}: ${await response.text()}`);
  return (await response.json()) as DeepArResponse;
};

interface Scenario {
  label: string;
  /** Index the data starts at (training and every history): 0, or N days before the window. */
  from: number;
}

type Scores = Map<string, Score>;

const runScenario = async (
  stations: StationSeries[],
  scenario: Scenario,
  window: number,
  workDir: string,
  pythonBaselines: typeof PYTHON_BASELINES,
) => {
  const length = stations[0]?.values.pm25?.length ?? 0;
  const { from } = scenario;
  // The engine: trained on everything in [from, window start), across stations and metrics.
  const hyperparameters = parseHyperparameters(HYPERPARAMETERS);
  const trainLines = deepArLines(stations, (n) => n - window).map((line) => ({
    ...line,
    start: shiftStart(line.start, from),
    target: line.target.slice(from),
  }));
  log(
    `[${scenario.label}] training the engine (${defaultForecaster.engine}) on ${trainLines.length} series x ${trainLines[0]?.target.length ?? 0} h`,
  );
  const trainStart = performance.now();
  const model = defaultForecaster.train(trainLines, hyperparameters, 42);
  const trainSeconds = seconds(trainStart);
  log(`[${scenario.label}] trained in ${trainSeconds.toFixed(1)} s`);
  const modelDir = join(workDir, `model-${scenario.label}`);
  await mkdir(modelDir);
  await writeFile(join(modelDir, MODEL_FILE), JSON.stringify(model));
  const server = await createModelServer(modelDir);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/invocations`;

  const scores: Scores = new Map();
  const score = (method: Method, metric: string) => {
    const key = `${method}/${metric}`;
    const found = scores.get(key) ?? new Score();
    scores.set(key, found);
    return found;
  };
  const latency: Record<Method, number[]> = {
    engine: [],
    gbm: [],
    deepar: [],
    naive: [],
    snaive24: [],
    mstl: [],
  };
  const timed = <T>(method: Method, run: () => T): T => {
    const t = performance.now();
    const result = run();
    latency[method].push(performance.now() - t);
    return result;
  };

  const metricIndex = (name: string) => METRICS.findIndex((m) => m.name === name);
  const origins = Array.from({ length: window / HORIZON }, (_, k) => length - window + k * HORIZON);
  const requests: Array<PythonSeries & { metric: string; actual: Array<number | null> }> = [];
  const evalStart = performance.now();
  for (const [s, station] of stations.entries()) {
    for (const metric of EVAL_METRICS) {
      const values = station.values[metric] ?? [];
      for (const origin of origins) {
        const start = Math.max(from, origin - HISTORY);
        const history = values.slice(start, origin);
        const actual = values.slice(origin, origin + HORIZON);
        if (actual.every((v) => v === null) || history.every((v) => v === null)) continue;
        const instance = {
          start: shiftStart(station.start, start),
          target: history,
          cat: [s, metricIndex(metric)],
        };
        requests.push({ ...instance, metric, actual });
        const request = {
          instances: [{ ...instance, target: history.map((v) => (v === null ? 'NaN' : v)) }],
          configuration: { output_types: ['quantiles'], quantiles: ['0.1', '0.5', '0.9'] },
        };
        const t = performance.now();
        const response = await postJson(url, request);
        latency.engine.push(performance.now() - t);
        const q = response.predictions[0]?.quantiles ?? {};
        score('engine', metric).add(history, actual, {
          q10: q['0.1'] ?? [],
          q50: q['0.5'] ?? [],
          q90: q['0.9'] ?? [],
        });
        const baselines: Array<[Method, () => QuantileForecast]> = [
          ['naive', () => naive(history, HORIZON)],
          ['snaive24', () => seasonalNaive24(history, HORIZON)],
        ];
        if (!args['skip-mstl']) baselines.push(['mstl', () => mstlEts(history, HORIZON)]);
        for (const [method, run] of baselines) {
          score(method, metric).add(history, actual, timed(method, run));
        }
      }
    }
    log(
      `[${scenario.label}] station ${s + 1}/${stations.length} ${station.station} scored (${seconds(evalStart).toFixed(0)} s)`,
    );
  }
  await new Promise<void>((done) => server.close(() => done()));
  server.closeAllConnections?.();

  const trainTimes: Partial<Record<Method, number>> = { engine: trainSeconds };
  for (const baseline of pythonBaselines) {
    log(
      `[${scenario.label}] ${baseline.name}: training and forecasting ${requests.length} origins`,
    );
    const t = performance.now();
    const forecasts = await runPythonBaseline(
      baseline,
      {
        horizon: HORIZON,
        train: trainLines,
        requests: requests.map(({ start, target, cat }) => ({ start, target, cat })),
      },
      { DEEPAR_EPOCHS: args['deepar-epochs'] },
    );
    trainTimes[baseline.name] = seconds(t);
    log(`[${scenario.label}] ${baseline.name} done in ${seconds(t).toFixed(0)} s`);
    requests.forEach((request, i) => {
      const forecast = forecasts[i];
      if (forecast)
        score(baseline.name, request.metric).add(request.target, request.actual, forecast);
    });
  }
  return { scores, latency, trainTimes };
};

const fmt = (n: number) => n.toFixed(3).padStart(7);

const main = async () => {
  const dataDir = resolve(args['data-dir']);
  const weeks = Number(args.weeks);
  const window = weeks * 7 * 24;
  log(`loading ${dataDir}`);
  let stations = await loadBeijing(dataDir);
  if (args.stations) stations = stations.slice(0, Number(args.stations));
  if (stations.length === 0) throw new Error(`no station CSVs under ${dataDir}`);
  const length = stations[0]?.values.pm25?.length ?? 0;
  log(`${stations.length} stations x ${METRICS.length} metrics, ${length} hours each`);
  const pythonBaselines = PYTHON_BASELINES.filter((b) => {
    if (args[`skip-${b.name}`]) return false;
    const missing = missingDependency(b);
    if (missing) log(missing);
    return missing === undefined;
  });
  const days = args['train-days']
    .split(',')
    .filter((d) => d.trim() !== '')
    .map(Number);
  const scenarios: Scenario[] = [
    { label: 'full', from: 0 },
    ...days.map((d) => ({ label: `${d}d`, from: Math.max(0, length - window - d * 24) })),
  ];
  const workDir = await mkdtemp(join(tmpdir(), 'smogcast-bench-accuracy-'));
  const methods = METHODS.filter(
    (m) =>
      (m !== 'mstl' || !args['skip-mstl']) &&
      ((m !== 'gbm' && m !== 'deepar') || pythonBaselines.some((b) => b.name === m)),
  );
  const results: Record<string, Record<string, Record<string, number>>> = {};
  let fullEngineLatency: number[] = [];
  for (const scenario of scenarios) {
    const { scores, latency, trainTimes } = await runScenario(
      stations,
      scenario,
      window,
      workDir,
      pythonBaselines,
    );
    if (scenario.label === 'full') fullEngineLatency = latency.engine;
    const score = (method: Method, metric: string) =>
      scores.get(`${method}/${metric}`) ?? new Score();
    const overall = (method: Method) => {
      const total = new Score();
      for (const metric of EVAL_METRICS) total.merge(score(method, metric));
      return total.summary();
    };
    console.log(
      `\n[${scenario.label}] ${'method'.padEnd(10)} ${'metric'.padEnd(8)}    MASE     wQL   cov80`,
    );
    const metrics = [...EVAL_METRICS, 'overall'];
    for (const method of methods) {
      for (const metric of metrics) {
        const s = metric === 'overall' ? overall(method) : score(method, metric).summary();
        console.log(
          `[${scenario.label}] ${method.padEnd(10)} ${metric.padEnd(8)} ${fmt(s.mase)} ${fmt(s.wql)} ${fmt(s.cov80)}`,
        );
      }
    }
    results[scenario.label] = Object.fromEntries(
      methods.map((method) => {
        const s = overall(method);
        const train = trainTimes[method];
        return [
          method,
          {
            mase: Number(s.mase.toFixed(4)),
            wql: Number(s.wql.toFixed(4)),
            cov80: Number(s.cov80.toFixed(4)),
            ...(train === undefined ? {} : { trainSeconds: Number(train.toFixed(1)) }),
            ...(latency[method].length > 0
              ? { p50LatencyMs: Number(nearestRankPercentile(latency[method], 0.5).toFixed(2)) }
              : {}),
          },
        ];
      }),
    );
    const engine = results[scenario.label]?.engine?.wql ?? 0;
    const others = Object.entries(results[scenario.label] ?? {}).filter(([m]) => m !== 'engine');
    const best = Math.min(...others.map(([, r]) => r.wql ?? Number.POSITIVE_INFINITY));
    console.log(
      `[${scenario.label}] engine wQL ${engine} vs best other ${best}: ${((1 - engine / best) * 100).toFixed(1)}% lower`,
    );
  }

  // The acceptance's training time: the whole data set through the training-container contract.
  let fullTrainSeconds: number | undefined;
  if (!args['skip-full-train']) {
    const root = join(workDir, 'full');
    const all = deepArLines(stations, (n) => n);
    for (const channel of ['train', 'test']) {
      const lines = channel === 'train' ? deepArLines(stations, (n) => n - HORIZON) : all;
      const text = `${lines.map((l) => JSON.stringify({ ...l, target: l.target.map((v) => v ?? 'NaN') })).join('\n')}\n`;
      await mkdir(join(root, 'input', 'data', channel), { recursive: true });
      await writeFile(join(root, 'input', 'data', channel, 'series.json.gz'), gzipSync(text));
    }
    await mkdir(join(root, 'input', 'config'), { recursive: true });
    await writeFile(
      join(root, 'input', 'config', 'hyperparameters.json'),
      JSON.stringify(HYPERPARAMETERS),
    );
    log(`training on the whole data set (${all.length} series) through the trainer contract`);
    const start = performance.now();
    const result = await runTraining({ root, seed: 42, log });
    fullTrainSeconds = seconds(start);
    log(
      `full training ${fullTrainSeconds.toFixed(1)} s; ${result.metrics.map((m) => `${m.name}=${m.value.toFixed(3)}`).join(' ')}`,
    );
  }
  await rm(workDir, { recursive: true, force: true });
  console.log(
    `\nengine p95 latency ${nearestRankPercentile(fullEngineLatency, 0.95).toFixed(1)} ms; full-data training ${fullTrainSeconds?.toFixed(1) ?? 'skipped'} s`,
  );
  console.log(
    JSON.stringify({
      fullTrainSeconds: fullTrainSeconds && Number(fullTrainSeconds.toFixed(1)),
      scenarios: results,
    }),
  );
};

await main();

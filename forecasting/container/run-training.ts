// The training container's contract (/opt/ml layout, rooted anywhere): channels under
// input/data/<channel>/, hyperparameters in input/config/hyperparameters.json, the model written
// to model/, and on failure the reason in output/failure, as SageMaker reads it into
// FailureReason.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotEnoughDataError } from '../../core/errors.js';
import { readChannel } from '../data/channels.js';
import { HyperparameterError } from '../errors.js';
import { evaluate, type Metric } from '../evaluation/evaluate.js';
import { parseHyperparameters } from '../model/hyperparameters.js';
import { defaultForecaster } from '../model/registry.js';
import type { Forecaster } from '../model/types.js';
import { MAX_TRAINING_SERIES, sampleSeries } from './training-sample.js';

export const MODEL_FILE = 'model.json';

/** Per `cat` position, one more than the largest index trained with; undefined without cats. */
export const cardinalityOf = (series: ReadonlyArray<{ cat?: number[] }>): number[] | undefined => {
  const cardinality: number[] = [];
  for (const { cat } of series) {
    if (!cat) return undefined;
    cat.forEach((v, i) => {
      cardinality[i] = Math.max(cardinality[i] ?? 0, v + 1);
    });
  }
  return cardinality.length > 0 ? cardinality : undefined;
};

export interface TrainingOptions {
  /** The container's /opt/ml. */
  root: string;
  /** Makes the model (and its sample paths) reproducible. */
  seed?: number;
  forecaster?: Forecaster;
  log?: (message: string) => void;
}

export interface TrainingResult {
  modelDir: string;
  metrics: Metric[];
}

export const trainingPaths = (root: string) => ({
  train: join(root, 'input', 'data', 'train'),
  test: join(root, 'input', 'data', 'test'),
  hyperparameters: join(root, 'input', 'config', 'hyperparameters.json'),
  model: join(root, 'model'),
  output: join(root, 'output'),
  failure: join(root, 'output', 'failure'),
});

const readHyperparameters = async (path: string) => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new HyperparameterError(`no hyperparameters file at ${path}`);
  }
  try {
    return parseHyperparameters(JSON.parse(text));
  } catch (error) {
    if (error instanceof HyperparameterError) throw error;
    throw new HyperparameterError('hyperparameters.json is not valid JSON');
  }
};

const train = async (options: TrainingOptions): Promise<TrainingResult> => {
  const log = options.log ?? (() => {});
  const forecaster = options.forecaster ?? defaultForecaster;
  const paths = trainingPaths(options.root);
  const hyperparameters = await readHyperparameters(paths.hyperparameters);
  const trainChannel = await readChannel(paths.train);
  if (!trainChannel || trainChannel.series.length === 0) {
    throw new NotEnoughDataError(`train channel is empty: no DeepAR series under ${paths.train}`);
  }
  for (const name of trainChannel.skipped) log(`train channel: skipped non-JSON file ${name}`);
  log(
    `train channel: ${trainChannel.series.length} series from ${trainChannel.files.length} files`,
  );
  const fitted = sampleSeries(trainChannel.series, MAX_TRAINING_SERIES, options.seed ?? 0);
  if (fitted.length < trainChannel.series.length)
    log(`train channel: fitting a seeded sample of ${fitted.length} series`);
  const model = forecaster.train(fitted, hyperparameters, options.seed ?? 0);

  const testChannel = await readChannel(paths.test);
  let metrics: Metric[] = [];
  if (testChannel && testChannel.series.length > 0) {
    const predictor = (history: (typeof testChannel.series)[number], levels: number[]) =>
      forecaster.predict(model, history, {
        outputTypes: ['mean', 'quantiles'],
        quantiles: levels.map((level) => ({ key: String(level), level })),
        numSamples: hyperparameters.numEvalSamples,
        seed: options.seed ?? 0,
      });
    // The same bound as training: a seeded sample scores the model as well as every series,
    // and per-request calibration on each instance's history makes a fleet-wide pass costly.
    const scored = sampleSeries(testChannel.series, MAX_TRAINING_SERIES, (options.seed ?? 0) + 1);
    if (scored.length < testChannel.series.length)
      log(`test channel: scoring a seeded sample of ${scored.length} series`);
    try {
      metrics = evaluate(
        scored,
        hyperparameters.predictionLength,
        hyperparameters.testQuantiles,
        predictor,
      );
    } catch (error) {
      // A young fleet's test series may be no longer than the horizon: the model still serves.
      if (!(error instanceof NotEnoughDataError)) throw error;
      log(`test channel: no metrics (${error.message})`);
    }
    for (const metric of metrics)
      log(`#test_score (algo-1, ${metric.name.replace(/^test:/, '')}): ${metric.value}`);
  }

  await rm(paths.model, { recursive: true, force: true });
  await mkdir(paths.model, { recursive: true });
  // The categories trained with: the model server refuses a `cat` outside them (DeepAR does).
  const cardinality = cardinalityOf(trainChannel.series);
  await writeFile(
    join(paths.model, MODEL_FILE),
    JSON.stringify(cardinality ? { ...model, cardinality } : model),
  );
  await mkdir(paths.output, { recursive: true });
  await writeFile(join(paths.output, 'metrics.json'), JSON.stringify(metrics, null, 2));
  return { modelDir: paths.model, metrics };
};

/** Runs one training job; on failure writes output/failure and rethrows the original error. */
export const runTraining = async (options: TrainingOptions): Promise<TrainingResult> => {
  try {
    return await train(options);
  } catch (error) {
    const paths = trainingPaths(options.root);
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await mkdir(paths.output, { recursive: true });
    await writeFile(paths.failure, reason);
    throw error;
  }
};

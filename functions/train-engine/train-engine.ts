// The engine trained as a retrain step without a container: this run's prepared train/ and test/
// channels are staged into the training container's layout under a scratch directory (Lambda's
// /tmp), trained through the container contract's core (runTraining: a seeded, bounded sample of
// at most MAX_TRAINING_SERIES series, test metrics on the held-out window), and the model written
// to models/engine/<version>/model.json. The result has the shape of the SageMaker training
// step's, so the steps after it (evaluate, record-run) read either the same way.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { engineArtifactKey, engineTrainingName } from '../../core/engine-artifact.js';
import { deeparRunPrefix } from '../../core/lake.js';
import type { ObjectStore } from '../../core/ports.js';
import { hashString } from '../../core/random.js';
import {
  MODEL_FILE,
  runTraining,
  type TrainingOptions,
  type TrainingResult,
  trainingPaths,
} from '../../forecasting/container/run-training.js';
import { copyPrefixToDir } from '../common/copy-prefix.js';
import type { TrainEngineInput } from './schema.js';

export interface TrainEngineDeps {
  store: ObjectStore;
  /** The lake's bucket name, for the artifact's s3:// URI. */
  bucket: string;
  /** Where scratch directories are made (Lambda: /tmp). */
  scratchDir: string;
  /** The container contract's training core (runTraining unless a test says otherwise). */
  train?: (options: TrainingOptions) => Promise<TrainingResult>;
  log?: (message: string) => void;
}

export interface EngineTraining {
  trainingJobName: string;
  modelDataUrl: string;
  /** As SageMaker's FinalMetricDataList. */
  metrics: Array<{ MetricName: string; Value: number }>;
  algorithm: 'smogcast';
}

export const trainEngine = async (
  input: TrainEngineInput,
  deps: TrainEngineDeps,
): Promise<EngineTraining> => {
  const root = await mkdtemp(join(deps.scratchDir, 'smogcast-engine-'));
  try {
    const paths = trainingPaths(root);
    const run = deeparRunPrefix(input.runId);
    await copyPrefixToDir(deps.store, `${run}train/`, paths.train);
    await copyPrefixToDir(deps.store, `${run}test/`, paths.test);
    await mkdir(join(root, 'input', 'config'), { recursive: true });
    await writeFile(paths.hyperparameters, JSON.stringify(input.hyperParameters));
    const result = await (deps.train ?? runTraining)({
      root,
      // The same data trains the same model: the seed follows the version.
      seed: hashString(input.version) >>> 0,
      log: deps.log,
    });
    const key = engineArtifactKey(input.version);
    await deps.store.put(
      key,
      await readFile(join(result.modelDir, MODEL_FILE), 'utf8'),
      'application/json',
    );
    return {
      trainingJobName: engineTrainingName(input.version),
      modelDataUrl: `s3://${deps.bucket}/${key}`,
      metrics: result.metrics.map((m) => ({ MetricName: m.name, Value: m.value })),
      algorithm: 'smogcast',
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
};

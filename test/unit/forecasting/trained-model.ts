// A model trained once on the synthetic dataset, for the model-server tests.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTraining } from '../../../forecasting/container/run-training.js';
import { writeTrainingRoot } from './synthetic.js';

/** Trains into a fresh temp root and returns it with the model directory. */
export const trainSyntheticModel = async (): Promise<{ root: string; modelDir: string }> => {
  const root = await mkdtemp(join(tmpdir(), 'smogcast-model-'));
  await writeTrainingRoot(root);
  const { modelDir } = await runTraining({ root, seed: 11 });
  return { root, modelDir };
};

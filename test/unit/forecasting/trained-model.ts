// A model trained once on the synthetic dataset, for the model-server tests: trained into a
// fresh temp root before a suite, loaded or served, and removed after it.
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { type LoadedModel, loadModel } from '../../../forecasting/container/model-server.js';
import { runTraining } from '../../../forecasting/container/run-training.js';
import { writeTrainingRoot } from './synthetic.js';

/** Trains into a fresh temp root and returns it with the model directory. */
export const trainSyntheticModel = async (): Promise<{ root: string; modelDir: string }> => {
  const root = await mkdtemp(join(tmpdir(), 'smogcast-model-'));
  await writeTrainingRoot(root);
  const { modelDir } = await runTraining({ root, seed: 11 });
  return { root, modelDir };
};

/** Around the current suite: `setUp(modelDir)` once the model is trained, `tearDown` after. */
const aroundTrainedModel = <T>(
  setUp: (modelDir: string) => Promise<T>,
  tearDown: (value: T) => Promise<void> = async () => {},
): (() => T) => {
  let root: string | undefined;
  let value: { current: T } | undefined;
  beforeAll(async () => {
    const trained = await trainSyntheticModel();
    root = trained.root;
    value = { current: await setUp(trained.modelDir) };
  });
  afterAll(async () => {
    if (value) await tearDown(value.current);
    if (root) await rm(root, { recursive: true, force: true });
  });
  return () => {
    if (!value) throw new Error('the trained model is set up in beforeAll');
    return value.current;
  };
};

/** The suite's trained model, loaded in-process. */
export const useLoadedModel = (): (() => LoadedModel) => aroundTrainedModel(loadModel);

/** The base URL of a server that `start` runs on the suite's trained model; closed after it. */
export const useServedModel = (
  start: (modelDir: string) => Promise<{ server: Server; url: string }>,
): (() => string) => {
  const served = aroundTrainedModel(
    start,
    ({ server }) => new Promise<void>((done) => server.close(() => done())),
  );
  return () => served().url;
};

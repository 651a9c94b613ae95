// train-engine — retrain state machine step when the stage trains the engine (algorithm
// smogcast or both): this run's channels → an engine model artifact under models/engine/.
import { tmpdir } from 'node:os';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { stepHandler } from '../common/step-handler.js';
import { TrainEngineInput } from './schema.js';
import { type TrainEngineDeps, trainEngine } from './train-engine.js';

export const makeHandler = (deps: TrainEngineDeps) =>
  stepHandler(TrainEngineInput, (input) => trainEngine(input, deps));

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  return makeHandler({
    store: createObjectStore(config),
    bucket: config.lakeBucket,
    scratchDir: tmpdir(),
    log: (message) => logger.info(message),
  });
});

// prepare-deepar — retrain state machine step after the ETL: curated Parquet → DeepAR channels.
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { stepHandler } from '../common/step-handler.js';
import { type PrepareDeps, prepareDeepAr } from './prepare-deepar.js';
import { PrepareInput } from './schema.js';

export const makeHandler = (deps: PrepareDeps) =>
  stepHandler(PrepareInput, (input) => prepareDeepAr(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler({ store: createObjectStore(loadConfig(process.env)) }),
);

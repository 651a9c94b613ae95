// check-drift — retrain state machine step after prepare-deepar: train or skip, with reasons.
import { loadConfig } from '../common/config.js';
import { createChampionDeps } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { readServingPointer } from '../common/serving-pointer.js';
import { stepHandler } from '../common/step-handler.js';
import { type CheckDriftDeps, checkDrift } from './check-drift.js';
import { CheckDriftInput } from './schema.js';

export const makeHandler = (deps: CheckDriftDeps) =>
  stepHandler(CheckDriftInput, (input) => checkDrift(input, deps));

export const handler = onFirstInvocation(() => {
  const { store, endpoint } = createChampionDeps(loadConfig(process.env));
  return makeHandler({
    store,
    endpoint,
    servingPointer: () => readServingPointer(store),
    now: Date.now,
  });
});

// check-drift — retrain state machine step after prepare-deepar: train or skip, with reasons.
import middy from '@middy/core';
import { loadConfig } from '../common/config.js';
import { createModelEndpoint, createObjectStore } from '../common/deps.js';
import { cachedModelCard } from '../common/model-card-source.js';
import { type CheckDriftDeps, checkDrift } from './check-drift.js';
import { CheckDriftInput } from './schema.js';

export const makeHandler = (deps: CheckDriftDeps) =>
  middy().handler(async (event: unknown) => checkDrift(CheckDriftInput.parse(event), deps));

const config = loadConfig(process.env);
const store = createObjectStore(config);
export const handler = makeHandler({
  store,
  endpoint: createModelEndpoint(config),
  // Each run must see the current champion: no caching across invocations.
  modelCard: cachedModelCard(store, 0),
  now: Date.now,
});

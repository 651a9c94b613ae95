// score-ab — retrain state machine step after prepare-deepar while an A/B test runs.
import middy from '@middy/core';
import { loadConfig } from '../common/config.js';
import { createModelEndpoint, createObjectStore } from '../common/deps.js';
import { cachedModelCard } from '../common/model-card-source.js';
import { ScoreABInput } from './schema.js';
import { type ScoreABDeps, scoreAB } from './score-ab.js';

export const makeHandler = (deps: ScoreABDeps) =>
  middy().handler(async (event: unknown) => scoreAB(ScoreABInput.parse(event), deps));

const config = loadConfig(process.env);
const store = createObjectStore(config);
export const handler = makeHandler({
  store,
  endpoint: createModelEndpoint(config),
  modelCard: cachedModelCard(store, 0),
});

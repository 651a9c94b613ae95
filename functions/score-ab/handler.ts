// score-ab — retrain state machine step after prepare-deepar while an A/B test runs.
import { loadConfig } from '../common/config.js';
import { createChampionDeps } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { stepHandler } from '../common/step-handler.js';
import { ScoreABInput } from './schema.js';
import { type ScoreABDeps, scoreAB } from './score-ab.js';

export const makeHandler = (deps: ScoreABDeps) =>
  stepHandler(ScoreABInput, (input) => scoreAB(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler(createChampionDeps(loadConfig(process.env))),
);

// score-ab — retrain state machine step after prepare-deepar while an A/B test runs.
// Errors are not caught: Step Functions matches Retry/Catch on their `name`.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { loadConfig } from '../common/config.js';
import { createChampionDeps } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { ScoreABInput } from './schema.js';
import { type ScoreABDeps, scoreAB } from './score-ab.js';

export const makeHandler = (deps: ScoreABDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: ScoreABInput }))
    .handler<z.input<typeof ScoreABInput>>((input) => scoreAB(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler(createChampionDeps(loadConfig(process.env))),
);

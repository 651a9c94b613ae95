// check-drift — retrain state machine step after prepare-deepar: train or skip, with reasons.
// Errors are not caught: Step Functions matches Retry/Catch on their `name`.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { loadConfig } from '../common/config.js';
import { createChampionDeps } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { type CheckDriftDeps, checkDrift } from './check-drift.js';
import { CheckDriftInput } from './schema.js';

export const makeHandler = (deps: CheckDriftDeps) =>
  middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: CheckDriftInput }))
    .handler<z.input<typeof CheckDriftInput>>((input) => checkDrift(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler({ ...createChampionDeps(loadConfig(process.env)), now: Date.now }),
);

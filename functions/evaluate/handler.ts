// evaluate — retrain state machine step after training: promote or reject the challenger.
// Errors are not caught: Step Functions matches Retry/Catch on their `name`.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy from '@middy/core';
import type { z } from 'zod';
import { logger } from '../common/logger.js';
import { evaluateChallenger } from './evaluate.js';
import { EvaluateInput } from './schema.js';

export const makeHandler = () =>
  middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema: EvaluateInput }))
    .handler<z.input<typeof EvaluateInput>>(async (input) => evaluateChallenger(input));

export const handler = makeHandler();

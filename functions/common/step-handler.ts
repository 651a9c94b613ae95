// The middy chain of a retrain state machine task: the Lambda context on every log line, the
// payload parsed by the step's schema (powertools parser), then the step's core. Errors are not
// caught: Step Functions matches Retry/Catch on their `name`, which must arrive unchanged.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { z } from 'zod';
import { logger } from './logger.js';

/**
 * The handler's event type is what the state machine sends (before the schema's coercions, e.g.
 * a number given as a string); the parser middleware swaps it for the parsed output, which is
 * what the step receives.
 */
export const stepHandler = <S extends z.ZodType, R>(
  schema: S,
  step: (input: z.output<S>) => R | Promise<R>,
) =>
  middy<z.input<S>, R>()
    .use(injectLambdaContext(logger))
    .use(parser({ schema }) as unknown as MiddlewareObj<z.input<S>, R>)
    .handler(async (input) => step(input as unknown as z.output<S>));

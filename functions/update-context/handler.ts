// update-context — raw/ object-created notifications (through the context queue on AWS) → the
// hot path's context/ shards. A failed batch throws and is retried whole: merges are idempotent.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { S3Event, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { servedScoring } from '../common/served-scoring.js';
import { unwrapQueueBatch } from './queue-event.js';
import {
  type UpdateContextDeps,
  type UpdateContextResult,
  updateContext,
} from './update-context.js';

export const makeHandler = (deps: UpdateContextDeps) =>
  middy<SQSEvent | S3Event, UpdateContextResult>()
    .use(injectLambdaContext(logger))
    .handler((event) => {
      const { event: s3, skipped } = unwrapQueueBatch(event);
      for (const message of skipped) logger.warn('message skipped', message);
      return updateContext(s3, deps);
    });

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  const store = createObjectStore(config);
  return makeHandler({
    store,
    layout: config.context,
    now: Date.now,
    afterHourRollup: servedScoring(store, config, Date.now),
  });
});

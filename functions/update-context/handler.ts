// Lambda wiring of update-context: S3 ObjectCreated notifications for raw/ → context/ files.
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import {
  type UpdateContextDeps,
  type UpdateContextResult,
  updateContext,
} from './update-context.js';

export const makeHandler = (deps: UpdateContextDeps) =>
  middy<S3Event, UpdateContextResult>().handler(async (event) => updateContext(event, deps));

const config = loadConfig(process.env);
// Building the S3 client does no network I/O; the first request happens on invocation.
export const handler = makeHandler({
  store: createObjectStore(config),
  contextHours: config.contextHours,
  now: Date.now,
});

// GET /status — pipeline health from maintained summaries: the hot path's fleet summaries
// (context/summary/ + live pages) and models/recent.json, never a listing of the lake. One read
// per few seconds per instance: a wall of dashboards costs no more than one.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../../core/ports.js';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import { type ContextReader, createContextReader } from '../common/context-reader.js';
import { createObjectStore } from '../common/deps.js';
import { cors, httpErrors, jsonResponse } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { readThrough } from '../common/read-through.js';
import { recentRecords, servingCard } from './pipeline-records.js';
import { buildStatus, type Status } from './status.js';

export interface StatusDeps {
  store: ObjectStore;
  contexts: ContextReader;
  now: () => number;
  /** Run records and registry entries shown. */
  recent?: number;
  ttlMs?: number;
}

export const readStatus = async (
  store: ObjectStore,
  contexts: ContextReader,
  now: number,
  recent = 10,
): Promise<Status> => {
  const [fleet, champion, records] = await Promise.all([
    contexts.fleet(),
    servingCard(store),
    recentRecords(store, recent),
  ]);
  return buildStatus({ now, fleet, champion, ...records });
};

/** Reads the status at most once per `ttlMs`, concurrent callers sharing the read. */
export const cachedStatus = (deps: StatusDeps) =>
  readThrough(
    () => readStatus(deps.store, deps.contexts, deps.now(), deps.recent),
    deps.ttlMs ?? 5_000,
    deps.now,
  );

export const makeHandler = (deps: StatusDeps, options: { cors?: CorsPolicy } = {}) => {
  const status = cachedStatus(deps);
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async () =>
      jsonResponse(200, await status(), { 'Cache-Control': 'private, max-age=5' }),
    );
};

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  const store = createObjectStore(config);
  const contexts = createContextReader(store, config.context, { now: Date.now });
  return makeHandler({ store, contexts, now: Date.now }, { cors: config.cors });
});

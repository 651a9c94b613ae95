// GET /status — pipeline health from the lake (context/, models/, runs/). One read of the lake
// per few seconds per instance: a wall of dashboards costs no more than one.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../../core/ports.js';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { readFleet } from '../common/fleet.js';
import { cors, httpErrors, jsonResponse } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { readThrough } from '../common/read-through.js';
import { recentRegistry, recentRuns, servingCard } from './pipeline-records.js';
import { buildStatus, type Status } from './status.js';

export interface StatusDeps {
  store: ObjectStore;
  now: () => number;
  /** Run records and registry entries shown. */
  recent?: number;
  ttlMs?: number;
}

export const readStatus = async (store: ObjectStore, now: number, recent = 10): Promise<Status> => {
  const [fleet, champion, runs, registry] = await Promise.all([
    readFleet(store),
    servingCard(store),
    recentRuns(store, recent),
    recentRegistry(store, recent),
  ]);
  return buildStatus({ now, fleet, champion, runs, registry });
};

/** Reads the status at most once per `ttlMs`, concurrent callers sharing the read. */
export const cachedStatus = (deps: StatusDeps) =>
  readThrough(() => readStatus(deps.store, deps.now(), deps.recent), deps.ttlMs ?? 5_000, deps.now);

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
  return makeHandler({ store: createObjectStore(config), now: Date.now }, { cors: config.cors });
});

// GET /runs — the retrain history, a page at a time (?limit=&cursor=), from the lake alone.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../../core/ports.js';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { cors, httpErrors, jsonResponse, parseQuery } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { listRuns } from './runs.js';
import { DEFAULT_RUNS, RunsQuery } from './schema.js';

export interface RunsDeps {
  store: ObjectStore;
  now: () => number;
}

export const makeHandler = (deps: RunsDeps, options: { cors?: CorsPolicy } = {}) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async (event) => {
      const query = parseQuery(RunsQuery, event);
      const page = await listRuns(deps.store, {
        limit: query.limit ?? DEFAULT_RUNS,
        cursor: query.cursor,
      });
      return jsonResponse(
        200,
        { ...page, generatedAt: new Date(deps.now()).toISOString() },
        { 'Cache-Control': 'private, max-age=5' },
      );
    });

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  return makeHandler({ store: createObjectStore(config), now: Date.now }, { cors: config.cors });
});

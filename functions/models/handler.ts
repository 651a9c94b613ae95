// GET /models — the registry timeline and the serving card's champion and A/B test.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../../core/ports.js';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { cors, httpErrors, jsonResponse, parseQuery } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { readModels } from './models.js';
import { DEFAULT_MODELS, ModelsQuery } from './schema.js';

export interface ModelsDeps {
  store: ObjectStore;
  now: () => number;
}

export const makeHandler = (deps: ModelsDeps, options: { cors?: CorsPolicy } = {}) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async (event) => {
      const query = parseQuery(ModelsQuery, event);
      const models = await readModels(deps.store, query.limit ?? DEFAULT_MODELS);
      return jsonResponse(
        200,
        { ...models, generatedAt: new Date(deps.now()).toISOString() },
        { 'Cache-Control': 'private, max-age=5' },
      );
    });

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  return makeHandler({ store: createObjectStore(config), now: Date.now }, { cors: config.cors });
});

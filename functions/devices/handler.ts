// GET /devices — one page of the fleet (?limit=&cursor=&q=), or one device's recent history
// (?deviceId=&hours=&metric=). The fleet comes from the shards' summaries and live pages (a
// fixed number of objects, whatever the fleet size), reused for a few seconds per instance.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import type { ContextReader } from '../common/context-reader.js';
import { createContextReader } from '../common/context-reader.js';
import { createObjectStore } from '../common/deps.js';
import { cors, httpErrors, jsonResponse, parseQuery } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { readThrough } from '../common/read-through.js';
import { deviceHistory, listDevices } from './devices.js';
import { DEFAULT_HISTORY_HOURS, DEFAULT_PAGE, devicesQuerySchema } from './schema.js';

export interface DevicesDeps {
  contexts: ContextReader;
  /** The longest history a client may ask for (the context window). */
  contextHours: number;
  now: () => number;
  /** How long one read of the fleet is reused. */
  fleetTtlMs?: number;
}

export const makeHandler = (deps: DevicesDeps, options: { cors?: CorsPolicy } = {}) => {
  const schema = devicesQuerySchema(deps.contextHours);
  const fleet = readThrough(
    async () => ({ devices: await deps.contexts.fleet() }),
    deps.fleetTtlMs ?? 5_000,
    deps.now,
  );

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async (event) => {
      const query = parseQuery(schema, event);
      const generatedAt = new Date(deps.now()).toISOString();
      const headers = { 'Cache-Control': 'private, max-age=5' };
      if (query.deviceId === undefined) {
        const page = listDevices((await fleet()).devices, {
          limit: query.limit ?? DEFAULT_PAGE,
          after: query.cursor,
          q: query.q,
        });
        return jsonResponse(200, { ...page, generatedAt }, headers);
      }
      const history = deviceHistory(
        await deps.contexts.deviceContext(query.deviceId),
        query.deviceId,
        query.hours ?? Math.min(DEFAULT_HISTORY_HOURS, deps.contextHours),
        query.metric,
      );
      return jsonResponse(200, { ...history, generatedAt }, headers);
    });
};

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  const contexts = createContextReader(createObjectStore(config), config.context, {
    now: Date.now,
  });
  return makeHandler(
    { contexts, contextHours: config.contextHours, now: Date.now },
    { cors: config.cors },
  );
});

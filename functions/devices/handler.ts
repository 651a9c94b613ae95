// GET /devices — the fleet, or one device's recent history (?deviceId=&hours=&metric=).
// The fleet is read from context/ once per few seconds per instance, whatever the request rate.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../../core/ports.js';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { readFleet } from '../common/fleet.js';
import { cors, httpErrors, jsonResponse, parseQuery } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { readThrough } from '../common/read-through.js';
import { deviceHistory, listDevices } from './devices.js';
import { DEFAULT_HISTORY_HOURS, devicesQuerySchema } from './schema.js';

export interface DevicesDeps {
  store: ObjectStore;
  /** The longest history a client may ask for (the context window). */
  contextHours: number;
  now: () => number;
  /** How long one read of the fleet is reused. */
  fleetTtlMs?: number;
}

export const makeHandler = (deps: DevicesDeps, options: { cors?: CorsPolicy } = {}) => {
  const schema = devicesQuerySchema(deps.contextHours);
  const fleet = readThrough(() => readFleet(deps.store), deps.fleetTtlMs ?? 5_000, deps.now);

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async (event) => {
      const query = parseQuery(schema, event);
      const generatedAt = new Date(deps.now()).toISOString();
      const headers = { 'Cache-Control': 'private, max-age=5' };
      if (query.deviceId === undefined) {
        return jsonResponse(200, { ...listDevices(await fleet()), generatedAt }, headers);
      }
      const history = deviceHistory(
        await fleet(),
        query.deviceId,
        query.hours ?? Math.min(DEFAULT_HISTORY_HOURS, deps.contextHours),
        query.metric,
      );
      return jsonResponse(200, { ...history, generatedAt }, headers);
    });
};

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  return makeHandler(
    { store: createObjectStore(config), contextHours: config.contextHours, now: Date.now },
    { cors: config.cors },
  );
});

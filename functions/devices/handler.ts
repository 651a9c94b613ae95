// GET /devices — the fleet, or one device's recent history (?deviceId=&hours=&metric=).
// The fleet is read from context/ once per few seconds per instance, whatever the request rate.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { DeviceContext } from '../../core/device-context.js';
import type { ObjectStore } from '../../core/ports.js';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { readFleet } from '../common/fleet.js';
import { SingleFlightCache } from '../common/forecast-cache.js';
import {
  badRequest,
  type CorsPolicy,
  cors,
  httpErrorHandler,
  jsonResponse,
  parseCorsOrigins,
  rejectRepeatedParameters,
} from '../common/http.js';
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
  const cache = new SingleFlightCache<DeviceContext[]>(1, deps.now);
  const fleet = () =>
    cache.get('fleet', deps.now() + (deps.fleetTtlMs ?? 5_000), () => readFleet(deps.store));

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrorHandler())
    .handler(async (event) => {
      rejectRepeatedParameters(event);
      const parsed = schema.safeParse(event.queryStringParameters ?? {});
      if (!parsed.success) {
        throw badRequest(
          parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
        );
      }
      const query = parsed.data;
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

const config = loadConfig(process.env);
export const handler = makeHandler(
  { store: createObjectStore(config), contextHours: config.contextHours, now: Date.now },
  { cors: parseCorsOrigins(process.env.CORS_ALLOW_ORIGINS) },
);

// GET /accuracy — realised accuracy of the served forecasts (and backtests): one device and
// metric (?deviceId=&metric=&days=), or the fleet per model version per day (?days=&metric=).
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../../core/ports.js';
import { type CorsPolicy, loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { cors, httpErrors, jsonResponse, parseQuery } from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { deviceAccuracy, fleetAccuracy } from './accuracy.js';
import { AccuracyQuery, DEFAULT_DAYS } from './schema.js';

export interface AccuracyDeps {
  store: ObjectStore;
  now: () => number;
  /** The forecast API's sampling period (ACCURACY_SAMPLE_PERIOD_HOURS). */
  periodHours: number;
}

export const makeHandler = (deps: AccuracyDeps, options: { cors?: CorsPolicy } = {}) =>
  middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async (event) => {
      const query = parseQuery(AccuracyQuery, event);
      const now = deps.now();
      const days = query.days ?? DEFAULT_DAYS;
      const body =
        query.deviceId !== undefined && query.metric !== undefined
          ? await deviceAccuracy(
              deps.store,
              { deviceId: query.deviceId, metric: query.metric },
              { days, now, periodHours: deps.periodHours },
            )
          : await fleetAccuracy(deps.store, { metric: query.metric }, { days, now });
      return jsonResponse(
        200,
        { ...body, generatedAt: new Date(now).toISOString() },
        { 'Cache-Control': 'private, max-age=60' },
      );
    });

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  return makeHandler(
    {
      store: createObjectStore(config),
      now: Date.now,
      periodHours: config.accuracySamplePeriodHours,
    },
    { cors: config.cors },
  );
});

// GET /forecast — API Gateway (REST, proxy) → forecast core, behind a per-hour forecast cache
// with ETag/304. The API key is enforced by API Gateway (and by the local API server, which
// plays its part). A sampled canary forecast also gets the champion's shadow (the same request,
// predicted in process), handed to the sampler only: never cached nor served.
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { LRUCache } from 'lru-cache';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import { InProcessEngine } from '../common/adapters/in-process-engine.js';
import { type Config, type CorsPolicy, loadConfig } from '../common/config.js';
import { createContextReader } from '../common/context-reader.js';
import { createModelEndpoint, createObjectStore } from '../common/deps.js';
import { cacheKey, forecastEtag, secondsLeftInHour } from '../common/forecast-cache.js';
import {
  cors,
  etagMatches,
  headerValue,
  httpErrors,
  parseQuery,
  unavailable,
} from '../common/http.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { cachedModelCard } from '../common/model-card-source.js';
import {
  type ForecastDeps,
  forecastWithShadow,
  RETRY_AFTER_SECONDS,
  type ServedBy,
  servedFor,
} from './forecast.js';
import { emfForecastMetrics } from './forecast-metrics.js';
import {
  DEFAULT_QUANTILES,
  type ForecastQuery,
  type ForecastResponse,
  forecastQuerySchema,
} from './schema.js';
import { createServedSampler, type ServedSampler } from './served-sampler.js';

/** One computed forecast (full horizon) and, per requested horizon, its body and validator. */
interface CachedForecast {
  response: ForecastResponse;
  answers: Map<number, { body: string; etag: string }>;
}

/** What a cache miss needs to compute the forecast. */
interface Miss {
  query: ForecastQuery;
  quantiles: number[];
  served: ServedBy | undefined;
}

export interface ForecastHandlerOptions {
  cors?: CorsPolicy;
  /** Forecasts kept per Lambda instance (each is a few KiB). */
  cacheEntries?: number;
  /** Samples the computed forecasts for realised-accuracy scoring (cache misses only). */
  sampler?: ServedSampler;
}

const sliced = (full: ForecastResponse, horizon: number): ForecastResponse => {
  if (horizon === full.horizon) return full;
  const quantiles: Record<string, number[]> = {};
  for (const [q, values] of Object.entries(full.quantiles)) quantiles[q] = values.slice(0, horizon);
  return { ...full, horizon, mean: full.mean.slice(0, horizon), quantiles };
};

/** The answer for `horizon`, serialised and hashed once per cached forecast. */
const answerFor = (entry: CachedForecast, key: string, horizon: number) => {
  let answer = entry.answers.get(horizon);
  if (answer === undefined) {
    answer = {
      body: JSON.stringify(sliced(entry.response, horizon)),
      etag: forecastEtag(key, horizon),
    };
    entry.answers.set(horizon, answer);
  }
  return answer;
};

export const makeHandler = (deps: ForecastDeps, options: ForecastHandlerOptions = {}) => {
  const schema = forecastQuerySchema(deps.predictionLength);
  // Concurrent misses for one key share one computation (lru-cache's fetch is single-flight),
  // so a burst of identical requests invokes the endpoint once; errors are never cached.
  const forecasts = new LRUCache<string, CachedForecast, Miss>({
    max: options.cacheEntries ?? 5_000,
    perf: { now: deps.now },
    ttlResolution: 0,
    fetchMethod: async (_key, _stale, { context }) => {
      const sampler = options.sampler;
      const { response, shadow } = await forecastWithShadow(
        {
          deviceId: context.query.deviceId,
          metric: context.query.metric,
          horizon: deps.predictionLength,
          quantiles: context.quantiles,
        },
        deps,
        context.served,
        (computed) => sampler?.wants(computed) ?? false,
      );
      sampler?.offer(response);
      // The champion's shadow of a sampled canary forecast: scored, never cached nor served.
      if (shadow) sampler?.offer(shadow, response.model.version);
      return { response, answers: new Map() };
    },
  });

  // No early-timeout timer: it costs a timer per request, and a forecast that outlives the
  // function's timeout is answered by API Gateway's 504 (JSON) anyway.
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>({ timeoutEarlyInMillis: 0 })
    .use(cors(options.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(async (event) => {
      const query = parseQuery(schema, event);
      const horizon = query.horizon ?? deps.predictionLength;
      const quantiles = query.quantiles ?? DEFAULT_QUANTILES;
      const card = await deps.modelCard();
      if (!card) throw unavailable('no model is deployed yet', RETRY_AFTER_SECONDS);
      const now = deps.now();
      const hour = floorHour(now);
      // During an A/B test the variant is picked per request, during an engine canary by the
      // device's hash; the version that serves keys the cache.
      const served = card.abTest || card.canary ? servedFor(card, query.deviceId) : undefined;
      const key = cacheKey({
        version: served?.version ?? card.version,
        deviceId: query.deviceId,
        metric: query.metric,
        hour,
        quantiles,
      });
      const cached = forecasts.get(key);
      const etag = cached ? answerFor(cached, key, horizon).etag : forecastEtag(key, horizon);
      const headers = {
        'Content-Type': 'application/json',
        // private: the answer is for API-key holders, not for shared caches.
        'Cache-Control': `private, max-age=${secondsLeftInHour(now, hour)}`,
        ETag: etag,
      };
      const ifNoneMatch = headerValue(event.headers, 'If-None-Match');
      // "*" means "any current representation": only true once this instance has one.
      if (
        ifNoneMatch &&
        etagMatches(ifNoneMatch, etag) &&
        (ifNoneMatch.trim() !== '*' || cached !== undefined)
      ) {
        return { statusCode: 304, headers, body: '' };
      }
      const entry =
        cached ??
        (await forecasts.fetch(key, {
          ttl: hour + HOUR_MS - now,
          context: { query, quantiles, served },
        }));
      if (!entry) throw new Error(`no forecast computed for ${key}`);
      return { statusCode: 200, headers, body: answerFor(entry, key, horizon).body };
    });
};

export const createForecastDeps = (config: Config): ForecastDeps => {
  const store = createObjectStore(config);
  return {
    contexts: createContextReader(store, config.context, { now: Date.now }),
    endpoint: createModelEndpoint(config),
    // One per warm instance: each engine version's artifact is read and parsed once.
    engine: new InProcessEngine(store),
    predictionLength: config.predictionLength,
    modelCard: cachedModelCard(store),
    now: Date.now,
    metrics: emfForecastMetrics(config.endpointName),
  };
};

export const handler = onFirstInvocation(() => {
  const config = loadConfig(process.env);
  const sampler = createServedSampler({
    store: createObjectStore(config),
    now: Date.now,
    periodHours: config.accuracySamplePeriodHours,
    writerId: randomUUID(),
  });
  return makeHandler(createForecastDeps(config), { cors: config.cors, sampler });
});

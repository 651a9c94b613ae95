// GET /forecast — API Gateway (REST, proxy) → forecast core, behind a per-hour forecast cache
// with ETag/304. The API key is enforced by API Gateway (and by the local API server, which
// plays its part).
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { floorHour, HOUR_MS } from '../../core/device-context.js';
import type { ModelCard } from '../../core/model-card.js';
import { type Config, loadConfig } from '../common/config.js';
import { createModelEndpoint, createObjectStore } from '../common/deps.js';
import {
  cacheKey,
  forecastEtag,
  SingleFlightCache,
  secondsLeftInHour,
} from '../common/forecast-cache.js';
import {
  badRequest,
  type CorsPolicy,
  cors,
  corsHeaders,
  etagMatches,
  headerValue,
  httpErrorHandler,
  parseCorsOrigins,
  rejectRepeatedParameters,
  unavailable,
} from '../common/http.js';
import { cachedModelCard } from '../common/model-card-source.js';
import { type ForecastDeps, forecast, pickServedBy, RETRY_AFTER_SECONDS } from './forecast.js';
import {
  DEFAULT_QUANTILES,
  type ForecastQuery,
  type ForecastResponse,
  forecastQuerySchema,
} from './schema.js';

/** One computed forecast (full horizon) and its serialised answers per requested horizon. */
interface CachedForecast {
  response: ForecastResponse;
  bodies: Map<number, string>;
}

export interface ForecastHandlerOptions {
  cors?: CorsPolicy;
  /** Forecasts kept per Lambda instance (each is a few KiB). */
  cacheEntries?: number;
}

const sliced = (full: ForecastResponse, horizon: number): ForecastResponse => {
  if (horizon === full.horizon) return full;
  const quantiles: Record<string, number[]> = {};
  for (const [q, values] of Object.entries(full.quantiles)) quantiles[q] = values.slice(0, horizon);
  return { ...full, horizon, mean: full.mean.slice(0, horizon), quantiles };
};

const bodyFor = (entry: CachedForecast, horizon: number): string => {
  let body = entry.bodies.get(horizon);
  if (body === undefined) {
    body = JSON.stringify(sliced(entry.response, horizon));
    entry.bodies.set(horizon, body);
  }
  return body;
};

export const makeHandler = (deps: ForecastDeps, options: ForecastHandlerOptions = {}) => {
  const schema = forecastQuerySchema(deps.predictionLength);
  const cache = new SingleFlightCache<CachedForecast>(options.cacheEntries ?? 5_000, deps.now);
  const etags = new Map<string, string>();

  // Clients repeat the same few queries: remember what a valid one parsed to.
  const parsedQueries = new Map<string, ForecastQuery>();
  // \u0001 marks an absent parameter: no valid value contains it, and only valid queries are kept.
  const part = (v: string | undefined) => v ?? '\u0001';
  const memoKeyOf = (params: Record<string, string | undefined>) =>
    `${part(params.deviceId)}\u0000${part(params.metric)}\u0000${part(params.horizon)}\u0000${part(params.quantiles)}`;
  const parseQuery = (event: APIGatewayProxyEvent): ForecastQuery => {
    rejectRepeatedParameters(event);
    const params = event.queryStringParameters ?? {};
    const memoKey = memoKeyOf(params);
    const known = parsedQueries.get(memoKey);
    if (known) return known;
    const query = parseFresh(params);
    if (parsedQueries.size >= 2_000) parsedQueries.clear();
    parsedQueries.set(memoKey, query);
    return query;
  };
  const parseFresh = (params: Record<string, string | undefined>): ForecastQuery => {
    const parsed = schema.safeParse(params);
    if (!parsed.success) {
      throw badRequest(
        parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
      );
    }
    return parsed.data;
  };

  const etagOf = (key: string, horizon: number): string => {
    const id = `${key}\u0000${horizon}`;
    let tag = etags.get(id);
    if (tag === undefined) {
      if (etags.size >= 20_000) etags.clear();
      tag = forecastEtag(key, horizon);
      etags.set(id, tag);
    }
    return tag;
  };

  const policy = options.cors ?? { origins: [] };
  const keysOf = new WeakMap<
    ForecastQuery,
    { version: string; hour: number; key: string; etag: string }
  >();

  // No early-timeout timer: it costs a timer per request, and a forecast that outlives the
  // function's timeout is answered by API Gateway's 504 (JSON) anyway.
  const chain = middy<APIGatewayProxyEvent, APIGatewayProxyResult>({ timeoutEarlyInMillis: 0 })
    .use(cors(policy))
    .use(httpErrorHandler())
    .handler((event) => {
      const query = parseQuery(event);
      const horizon = query.horizon ?? deps.predictionLength;
      const quantiles = query.quantiles ?? DEFAULT_QUANTILES;
      const full = (card: ModelCard | undefined) =>
        answer(event, query, horizon, quantiles, card) as
          | APIGatewayProxyResult
          | Promise<APIGatewayProxyResult>;
      const known = deps.modelCard.peek?.();
      return known ? full(known.card) : deps.modelCard().then(full);
    });

  /**
   * A cache hit for a query seen before, answered in front of the middleware chain: nothing in
   * it can fail (the query is known valid, card and forecast are in memory), so the chain's
   * validation and error mapping have nothing to do, and its per-invocation costs (middy creates
   * an AbortController for every call) would be most of the work. Anything else goes through it.
   */
  const fromCache = (event: APIGatewayProxyEvent): APIGatewayProxyResult | undefined => {
    const multi = event.multiValueQueryStringParameters ?? {};
    for (const name in multi) if ((multi[name]?.length ?? 0) > 1) return undefined;
    const query = parsedQueries.get(memoKeyOf(event.queryStringParameters ?? {}));
    const card = deps.modelCard.peek?.()?.card;
    if (!query || !card) return undefined;
    const result = answer(
      event,
      query,
      query.horizon ?? deps.predictionLength,
      query.quantiles ?? DEFAULT_QUANTILES,
      card,
      true,
    );
    if (!result || result instanceof Promise) return undefined;
    if (policy.origins.length > 0) {
      result.headers = {
        ...result.headers,
        ...corsHeaders(policy, headerValue(event.headers, 'Origin')),
      };
    }
    return result;
  };

  const handler = (
    event: APIGatewayProxyEvent,
    context: Context,
  ): Promise<APIGatewayProxyResult> => {
    const hit = fromCache(event);
    return hit ? Promise.resolve(hit) : chain(event, context);
  };

  const answer = (
    event: APIGatewayProxyEvent,
    query: ReturnType<typeof parseQuery>,
    horizon: number,
    quantiles: number[],
    card: ModelCard | undefined,
    onlyCached = false,
  ): APIGatewayProxyResult | Promise<APIGatewayProxyResult> | undefined => {
    if (!card) throw unavailable('no model is deployed yet', RETRY_AFTER_SECONDS);
    const now = deps.now();
    const hour = floorHour(now);
    // Parsed queries are shared objects: remember their key and validator for this version/hour.
    // During an A/B test the variant is picked per request; its version keys the cache.
    const served = card.abTest ? pickServedBy(card) : undefined;
    const version = served?.version ?? card.version;
    let ids = keysOf.get(query);
    if (!ids || ids.version !== version || ids.hour !== hour) {
      const key = cacheKey({
        version,
        deviceId: query.deviceId,
        metric: query.metric,
        hour,
        quantiles,
      });
      ids = { version, hour, key, etag: etagOf(key, horizon) };
      keysOf.set(query, ids);
    }
    const { key, etag } = ids;
    const headers = {
      'Content-Type': 'application/json',
      // private: the answer is for API-key holders, not for shared caches.
      'Cache-Control': `private, max-age=${secondsLeftInHour(now, hour)}`,
      ETag: etag,
    };
    const ifNoneMatch = headerValue(event.headers, 'If-None-Match');
    const hit = cache.peek(key);
    // "*" means "any current representation": only true once this instance has one.
    if (
      ifNoneMatch &&
      etagMatches(ifNoneMatch, etag) &&
      (ifNoneMatch.trim() !== '*' || hit !== undefined)
    ) {
      return { statusCode: 304, headers, body: '' };
    }
    if (hit) return { statusCode: 200, headers, body: bodyFor(hit, horizon) };
    if (onlyCached) return undefined;
    return cache
      .get(key, hour + HOUR_MS, async () => ({
        response: await forecast(
          {
            deviceId: query.deviceId,
            metric: query.metric,
            horizon: deps.predictionLength,
            quantiles,
          },
          deps,
          served,
        ),
        bodies: new Map(),
      }))
      .then((entry) => ({ statusCode: 200, headers, body: bodyFor(entry, horizon) }));
  };

  return handler;
};

export const createForecastDeps = (config: Config): ForecastDeps => {
  const store = createObjectStore(config);
  return {
    store,
    endpoint: createModelEndpoint(config),
    predictionLength: config.predictionLength,
    modelCard: cachedModelCard(store),
    now: Date.now,
  };
};

export const handler = makeHandler(createForecastDeps(loadConfig(process.env)), {
  cors: parseCorsOrigins(process.env.CORS_ALLOW_ORIGINS),
});

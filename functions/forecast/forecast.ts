// The forecast core: device context (hot path) + serving model card → DeepAR request → API response.

import { formatStart } from '../../core/deepar.js';
import { deviceCategory } from '../../core/device-categories.js';
import { type DeviceContext, HOUR_MS, hourlyMeans } from '../../core/device-context.js';
import type { Algorithm } from '../../core/engine-artifact.js';
import { CANARY_VARIANT, inCanary, type ServedRole } from '../../core/engine-canary.js';
import { EndpointNotDeployedError, ModelInputRejectedError } from '../../core/errors.js';
import { metricIndex } from '../../core/metrics.js';
import { AB_VARIANTS, algorithmOf, type ModelCard } from '../../core/model-card.js';
import type { DeepArRequest, ModelEndpoint } from '../../core/ports.js';
import type { InProcessEngine } from '../common/adapters/in-process-engine.js';
import type { ContextReader } from '../common/context-reader.js';
import { HttpError, notFound, unavailable } from '../common/http.js';
import type { ForecastMetrics } from './forecast-metrics.js';
import { DEFAULT_QUANTILES, type ForecastQuery, type ForecastResponse } from './schema.js';

export interface ForecastDeps {
  /** The hot path: one history shard and the live pages of the device's shard. */
  contexts: ContextReader;
  endpoint: ModelEndpoint;
  /** Serves engine models (algorithm smogcast) in process; without it they answer 503. */
  engine?: InProcessEngine;
  predictionLength: number;
  /** The serving model card, or undefined while no model is deployed. */
  modelCard: () => Promise<ModelCard | undefined>;
  now: () => number;
  /** Counts each model answer and model failure by the side that served it (canary alarm). */
  metrics?: ForecastMetrics;
  /** Draws the A/B variant of a request (default Math.random). */
  random?: () => number;
}

/** Seconds a client should wait before retrying while no model is deployed. */
export const RETRY_AFTER_SECONDS = 60;
const NUM_SAMPLES = 100;

const loadContext = async (contexts: ContextReader, deviceId: string): Promise<DeviceContext> => {
  const context = await contexts.deviceContext(deviceId);
  if (!context) throw notFound(`unknown device ${deviceId}`);
  return context;
};

export const quantileKey = (q: number): string => String(q);

export const buildRequest = (
  startHour: number,
  values: Array<number | null>,
  cat: number[],
  quantiles: number[],
): DeepArRequest => ({
  instances: [
    { start: formatStart(startHour), target: values.map((v) => (v === null ? 'NaN' : v)), cat },
  ],
  configuration: {
    num_samples: NUM_SAMPLES,
    output_types: ['mean', 'quantiles'],
    quantiles: quantiles.map(quantileKey),
  },
});

/** The model a request is served by: the champion, or during an A/B test one of the two. */
export interface ServedBy {
  version: string;
  categories: ModelCard['categories'];
  /** Production variant to target (A/B); undefined lets the endpoint route. */
  variant: string | undefined;
  /** smogcast: answered in process from `modelDataUrl`; deepar (absent): by the endpoint. */
  algorithm?: Algorithm;
  modelDataUrl?: string;
  /** canary: the engine canary's share of devices; otherwise the champion (or an A/B variant). */
  role?: ServedRole;
}

const champion = (card: ModelCard): ServedBy => ({
  version: card.version,
  categories: card.categories,
  variant: undefined,
  ...(algorithmOf(card) === 'smogcast'
    ? { algorithm: 'smogcast' as const, modelDataUrl: card.modelDataUrl }
    : {}),
});

/**
 * During an A/B test the API picks the variant by the test's weights and targets it, so that
 * the request carries that model's own category indices.
 */
export const pickServedBy = (card: ModelCard, random: () => number = Math.random): ServedBy => {
  const test = card.abTest;
  if (!test) return champion(card);
  return random() < test.challengerWeight
    ? {
        version: test.challenger.version,
        categories: test.challenger.categories,
        variant: AB_VARIANTS.challenger,
      }
    : { version: card.version, categories: card.categories, variant: AB_VARIANTS.champion };
};

/**
 * The model that serves `deviceId`: while an engine canary bakes, the canary for the devices
 * its percent covers (by the stable device hash) and the champion for the rest; otherwise as
 * pickServedBy.
 */
export const servedFor = (
  card: ModelCard,
  deviceId: string,
  random: () => number = Math.random,
): ServedBy => {
  const canary = card.canary;
  if (!canary) return pickServedBy(card, random);
  if (!inCanary(deviceId, canary.percent)) return { ...champion(card), role: 'champion' };
  return {
    version: canary.model.version,
    categories: canary.model.categories,
    variant: CANARY_VARIANT,
    algorithm: 'smogcast',
    modelDataUrl: canary.model.modelDataUrl,
    role: 'canary',
  };
};

/** The engine in process for an engine model, else the endpoint (with the A/B variant, if any). */
const invokeServing = (served: ServedBy, request: DeepArRequest, deps: ForecastDeps) => {
  if (served.algorithm !== 'smogcast') return deps.endpoint.invoke(request, served.variant);
  if (!deps.engine || !served.modelDataUrl) {
    throw unavailable('this forecast function cannot serve engine models', RETRY_AFTER_SECONDS);
  }
  return deps.engine.invoke(
    { version: served.version, modelDataUrl: served.modelDataUrl },
    request,
  );
};

/** A device's series and the request fields every model answering for it shares. */
interface Prepared {
  query: ForecastQuery;
  card: ModelCard;
  series: { startHour: number; values: Array<number | null> };
  horizon: number;
  quantiles: number[];
}

/**
 * `served`'s forecast of the prepared series. `count` false: the answer is not counted in the
 * forecast metrics (a shadow's failure is no served error of either side).
 */
const predictWith = async (
  prepared: Prepared,
  served: ServedBy,
  deps: ForecastDeps,
  count: boolean,
): Promise<ForecastResponse> => {
  const { query, card, series, horizon, quantiles } = prepared;
  const { deviceId, metric } = query;
  const deviceIndex = deviceCategory(served.categories.devices, deviceId);
  if (deviceIndex < 0) {
    throw notFound(
      `device ${deviceId} is not in model ${served.version} yet; the next retrain adds it`,
    );
  }

  const request = buildRequest(
    series.startHour,
    series.values,
    [deviceIndex, metricIndex(metric)],
    quantiles,
  );
  const metrics = count ? deps.metrics : undefined;
  let answer: Awaited<ReturnType<ModelEndpoint['invoke']>>;
  const role = served.role ?? 'champion';
  try {
    answer = await invokeServing(served, request, deps);
    metrics?.served({ version: served.version, role, failed: false });
  } catch (error) {
    const refused = error instanceof ModelInputRejectedError || error instanceof HttpError;
    // A model that fails (not the caller's series) counts against the side that served it.
    if (!refused) metrics?.served({ version: served.version, role, failed: true });
    if (error instanceof EndpointNotDeployedError) {
      throw unavailable('the model endpoint is not deployed yet', RETRY_AFTER_SECONDS);
    }
    if (error instanceof ModelInputRejectedError) {
      // The device's history is what the model refused (e.g. no observed value): not a 500.
      throw new HttpError(422, `the model cannot forecast this series: ${error.message}`);
    }
    throw error;
  }
  const prediction = answer.body.predictions[0];
  if (!prediction?.mean) throw new Error('endpoint returned no mean forecast');

  const quantileSeries: Record<string, number[]> = {};
  for (const q of quantiles) {
    const values = prediction.quantiles?.[quantileKey(q)];
    if (!values) throw new Error(`endpoint returned no quantile ${q}`);
    quantileSeries[quantileKey(q)] = values.slice(0, horizon);
  }
  return {
    deviceId,
    metric,
    freq: 'H',
    start: new Date(series.startHour + series.values.length * HOUR_MS).toISOString(),
    horizon,
    mean: prediction.mean.slice(0, horizon),
    quantiles: quantileSeries,
    model: {
      version: served.version,
      // The canary answers as the canary (the in-process engine names its variant otherwise).
      variant:
        served.role === 'canary'
          ? CANARY_VARIANT
          : (answer.variant ?? served.variant ?? card.variant),
    },
    generatedAt: new Date(deps.now()).toISOString(),
  };
};

/** A forecast as served and, for a canary forecast that was asked for one, its shadow. */
export interface ForecastWithShadow {
  response: ForecastResponse;
  /**
   * The champion's forecast of the very same request (same series, hour and quantiles), never
   * served: the paired side of the canary's realised-loss check. Absent when not asked for, when
   * the champion does not know the device, or when the champion failed on it.
   */
  shadow?: ForecastResponse;
}

/**
 * The forecast of `query`; when the engine canary served it and `wantsShadow(response)` (the
 * sampler keeps it), also the champion's forecast of the same request: one extra predict per
 * sampled canary forecast, nothing for any other request.
 */
export const forecastWithShadow = async (
  query: ForecastQuery,
  deps: ForecastDeps,
  servedBy?: ServedBy,
  wantsShadow: (response: ForecastResponse) => boolean = () => false,
): Promise<ForecastWithShadow> => {
  const { deviceId, metric } = query;
  const card = await deps.modelCard();
  if (!card) throw unavailable('no model is deployed yet', RETRY_AFTER_SECONDS);
  const context = await loadContext(deps.contexts, deviceId);
  const series = hourlyMeans(context, metric);
  if (!series || series.values.every((v) => v === null)) {
    throw notFound(`device ${deviceId} has no ${metric} readings`);
  }
  const prepared: Prepared = {
    query,
    card,
    series,
    horizon: query.horizon ?? deps.predictionLength,
    quantiles: query.quantiles ?? DEFAULT_QUANTILES,
  };
  const served = servedBy ?? servedFor(card, deviceId, deps.random);
  const response = await predictWith(prepared, served, deps, true);
  if (served.role !== 'canary' || !card.canary || !wantsShadow(response)) return { response };
  // The shadow never costs the served answer: a champion that cannot forecast it leaves no pair.
  const shadow = await predictWith(prepared, champion(card), deps, false).catch(() => undefined);
  return shadow ? { response, shadow } : { response };
};

export const forecast = async (
  query: ForecastQuery,
  deps: ForecastDeps,
  servedBy?: ServedBy,
): Promise<ForecastResponse> => (await forecastWithShadow(query, deps, servedBy)).response;

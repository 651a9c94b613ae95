// What identifies a forecast: computed once per (model version, device, metric, hour, quantile
// set) and reused until the hour ends (the model and its context change at most hourly, and the
// endpoint call is the expensive part), with a validator any instance derives alike. Pure: no
// SDK, no clock of its own. The cache itself is an lru-cache in the forecast handler.
import { createHash } from 'node:crypto';
import { HOUR_MS } from '../../core/device-context.js';

export interface ForecastKey {
  version: string;
  deviceId: string;
  metric: string;
  /** Epoch ms of the hour the forecast belongs to. */
  hour: number;
  quantiles: readonly number[];
}

export const cacheKey = (k: ForecastKey): string =>
  `${k.version}\u0000${k.deviceId}\u0000${k.metric}\u0000${k.hour}\u0000${k.quantiles.join(',')}`;

/**
 * A weak validator derived from the cache key and the horizon: equal for every answer within the
 * hour on every Lambda instance, so any instance can answer 304 without recomputing.
 */
export const forecastEtag = (key: string, horizon: number): string =>
  `W/"${createHash('sha1').update(`${key}\u0000${horizon}`).digest('base64url').slice(0, 22)}"`;

/** Seconds until the end of the hour: how long a client may reuse the answer. */
export const secondsLeftInHour = (now: number, hour: number): number =>
  Math.max(1, Math.ceil((hour + HOUR_MS - now) / 1000));

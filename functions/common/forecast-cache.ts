// Forecasts are computed once per (model version, device, metric, hour, quantile set) and reused
// until the hour ends: the model and its context change at most hourly, and the endpoint call is
// the expensive part. Concurrent misses for one key share a single computation (single-flight),
// so a burst of identical requests invokes the endpoint once. Pure: no SDK, no clock of its own.
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

interface Entry<T> {
  value: T;
  expiresAt: number;
}

export class SingleFlightCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly inFlight = new Map<string, Promise<T>>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  /** The cached value, if present and not expired. */
  peek(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** The cached value, or the one computation in flight for `key`, or a new one. */
  get(key: string, expiresAt: number, compute: () => Promise<T>): Promise<T> {
    const hit = this.peek(key);
    if (hit !== undefined) return Promise.resolve(hit);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const flight = compute().then(
      (value) => {
        this.inFlight.delete(key);
        this.store(key, { value, expiresAt });
        return value;
      },
      (error: unknown) => {
        // Errors (unknown device, endpoint down) are shared by the burst but never cached.
        this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, flight);
    return flight;
  }

  get size(): number {
    return this.entries.size;
  }

  private store(key: string, entry: Entry<T>) {
    if (this.entries.size >= this.maxEntries) {
      const now = this.now();
      for (const [k, e] of this.entries) {
        if (e.expiresAt <= now) this.entries.delete(k);
      }
      // Still full: drop the oldest insertions (Map keeps insertion order).
      for (const k of this.entries.keys()) {
        if (this.entries.size < this.maxEntries) break;
        this.entries.delete(k);
      }
    }
    this.entries.set(key, entry);
  }
}

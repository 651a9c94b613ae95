// Keeps a sample of the forecasts this instance computed, for realised-accuracy scoring: a
// forecast is kept when the device is due (core/realised-accuracy isSampled) and it carries the
// p10/p50/p90 quantiles; kept forecasts wait in memory and are written in one object per start
// hour at most once per `flushMs`, so the lake sees a few PUTs per instance per hour whatever
// the traffic. Only cache misses are offered: the cached path does no extra work. A canary
// forecast the sampler keeps may bring its shadow (the champion's forecast of the same request,
// computed only because this one is kept), kept beside it with role shadow.
import type { ObjectStore } from '../../core/ports.js';
import {
  isSampled,
  type ServedBatch,
  type ServedSample,
  servedHourPrefix,
} from '../../core/realised-accuracy.js';
import type { ForecastResponse } from './schema.js';

export interface ServedSamplerOptions {
  store: ObjectStore;
  now: () => number;
  /** A device's forecasts are kept every this many hours (1 = every forecast). */
  periodHours: number;
  /** Longest a kept forecast waits in memory before it is written. */
  flushMs?: number;
  /** Kept forecasts that trigger a write before flushMs. */
  maxBuffered?: number;
  /** Names this instance's objects (no two instances overwrite each other). */
  writerId: string;
  onError?: (error: unknown) => void;
}

export interface ServedSampler {
  /** Whether `offer` would keep this forecast (its device is due and it has p10/p50/p90). */
  wants(response: ForecastResponse): boolean;
  /** Keeps a served forecast, or with `shadowOf` the shadow beside that version's forecast. */
  offer(response: ForecastResponse, shadowOf?: string): void;
  /** Writes what is buffered (also called on shutdown). */
  flush(): Promise<void>;
}

const LEVELS = ['0.1', '0.5', '0.9'] as const;

export const createServedSampler = (options: ServedSamplerOptions): ServedSampler => {
  const flushMs = options.flushMs ?? 5 * 60_000;
  const maxBuffered = options.maxBuffered ?? 5_000;
  let buffer = new Map<string, ServedSample>();
  let firstBufferedAt = 0;
  let sequence = 0;
  let writing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    if (buffer.size === 0) return writing;
    const samples = [...buffer.values()];
    buffer = new Map();
    const byHour = new Map<number, ServedSample[]>();
    for (const s of samples) byHour.set(s.startHour, [...(byHour.get(s.startHour) ?? []), s]);
    const stamp = options.now();
    sequence += 1;
    const batch = [...byHour].map(([hour, hourSamples]) =>
      options.store.put(
        `${servedHourPrefix(hour)}${options.writerId}-${stamp}-${sequence}.json`,
        JSON.stringify({ v: 1, samples: hourSamples } satisfies ServedBatch),
        'application/json',
      ),
    );
    writing = writing
      .then(() => Promise.all(batch))
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      );
    return writing;
  };

  const wants = (response: ForecastResponse): boolean =>
    isSampled(response.deviceId, Date.parse(response.start), options.periodHours) &&
    LEVELS.every((q) => response.quantiles[q] !== undefined);

  return {
    wants,
    offer(response, shadowOf) {
      if (!wants(response)) return;
      const startHour = Date.parse(response.start);
      const [p10, p50, p90] = LEVELS.map((q) => response.quantiles[q]);
      if (!p10 || !p50 || !p90) return;
      const key = `${response.model.version}|${response.model.variant}|${response.deviceId}|${response.metric}|${startHour}|${shadowOf ?? ''}`;
      if (buffer.has(key)) return;
      if (buffer.size === 0) firstBufferedAt = options.now();
      buffer.set(key, {
        version: response.model.version,
        variant: response.model.variant,
        deviceId: response.deviceId,
        metric: response.metric,
        ...(shadowOf === undefined ? {} : { role: 'shadow' as const, shadowOf }),
        startHour,
        p10,
        p50,
        p90,
      });
      if (buffer.size >= maxBuffered || options.now() - firstBufferedAt >= flushMs) void flush();
    },
    flush,
  };
};

// Realised accuracy recomputed from a runtime's lake the simple way, apart from the pipeline's
// code: the hourly means of the raw readings as Firehose delivered them (each reading once, by
// device and seq), the forecasts the API sampled (accuracy/served/, each once per version,
// variant, device, metric and start hour), and the pinball losses by hand. Only the start hours
// the pipeline says it has scored (accuracy/cursor.json) are counted; a day is the UTC day of a
// forecast's first hour.
import type { ObjectStore } from '../../core/ports.js';
import { rawObjectText } from '../../core/raw-object.js';
import {
  SCORING_CURSOR_KEY,
  SERVED_PREFIX,
  type ServedSample,
} from '../../core/realised-accuracy.js';
import { decodeText } from '../../core/text.js';

const HOUR = 3_600_000;
const LEVELS = [0.1, 0.5, 0.9] as const;

export interface RecomputedDay {
  date: string;
  version: string;
  variant: string;
  points: number;
  /** Per level: Σ 2·pinball / Σ|y| (null without a nonzero reading). */
  wql: [number | null, number | null, number | null];
  meanWql: number | null;
  coverage80: number | null;
}

const readJson = async <T>(store: ObjectStore, key: string): Promise<T | undefined> => {
  const bytes = await store.get(key);
  return bytes ? (JSON.parse(decodeText(bytes)) as T) : undefined;
};

/** Hourly means per `deviceId|metric|hourStart` of every reading in raw/. */
const hourlyMeans = async (store: ObjectStore, metrics: ReadonlySet<string>) => {
  const sums = new Map<string, { sum: number; count: number }>();
  const seen = new Set<string>();
  for (const key of await store.list('raw/')) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    for (const line of rawObjectText(bytes).split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as Record<string, unknown>;
      const id = `${r.deviceId}|${r.seq ?? r.ts}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const hour = Math.floor(Date.parse(String(r.ts)) / HOUR) * HOUR;
      for (const metric of metrics) {
        const value = r[metric];
        if (typeof value !== 'number') continue;
        const k = `${r.deviceId}|${metric}|${hour}`;
        const acc = sums.get(k) ?? { sum: 0, count: 0 };
        acc.sum += value;
        acc.count += 1;
        sums.set(k, acc);
      }
    }
  }
  return new Map([...sums].map(([k, { sum, count }]) => [k, sum / count]));
};

/** The fleet's realised accuracy per day, version and variant, all metrics together. */
export const recomputeFleetDaily = async (store: ObjectStore): Promise<RecomputedDay[]> => {
  const cursor = await readJson<{ scoredThrough?: string }>(store, SCORING_CURSOR_KEY);
  const scoredThrough = Date.parse(cursor?.scoredThrough ?? '');
  if (!Number.isFinite(scoredThrough)) return [];
  const samples = new Map<string, ServedSample>();
  for (const key of await store.list(SERVED_PREFIX)) {
    const batch = await readJson<{ samples: ServedSample[] }>(store, key);
    for (const s of batch?.samples ?? []) {
      if (s.startHour > scoredThrough) continue;
      const id = `${s.version}|${s.variant}|${s.deviceId}|${s.metric}|${s.startHour}`;
      if (!samples.has(id)) samples.set(id, s);
    }
  }
  const means = await hourlyMeans(store, new Set([...samples.values()].map((s) => s.metric)));
  const totals = new Map<
    string,
    { loss: [number, number, number]; abs: number; n: number; inside: number }
  >();
  for (const s of samples.values()) {
    const key = `${new Date(s.startHour).toISOString().slice(0, 10)}|${s.version}|${s.variant}`;
    const total = totals.get(key) ?? { loss: [0, 0, 0], abs: 0, n: 0, inside: 0 };
    s.p50.forEach((_, h) => {
      const y = means.get(`${s.deviceId}|${s.metric}|${s.startHour + h * HOUR}`);
      const band = [s.p10[h], s.p50[h], s.p90[h]];
      if (y === undefined || band.some((q) => typeof q !== 'number')) return;
      LEVELS.forEach((q, i) => {
        const e = y - (band[i] as number);
        total.loss[i] = (total.loss[i] ?? 0) + 2 * Math.max(q * e, (q - 1) * e);
      });
      total.abs += Math.abs(y);
      total.n += 1;
      if (y >= (band[0] as number) && y <= (band[2] as number)) total.inside += 1;
    });
    totals.set(key, total);
  }
  return [...totals].map(([key, t]) => {
    const [date = '', version = '', variant = ''] = key.split('|');
    return {
      date,
      version,
      variant,
      points: t.n,
      wql:
        t.abs > 0 ? [t.loss[0] / t.abs, t.loss[1] / t.abs, t.loss[2] / t.abs] : [null, null, null],
      meanWql: t.abs > 0 ? (t.loss[0] + t.loss[1] + t.loss[2]) / 3 / t.abs : null,
      coverage80: t.n > 0 ? t.inside / t.n : null,
    };
  });
};

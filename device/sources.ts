// Where a fleet's readings come from and when they are due: the seeded synthetic generator
// (a backfill grid, then one reading per device per interval) or a replay of Beijing CSV files
// (all at once as a backfill, or paced by a time-acceleration factor).
import { setTimeout as sleep } from 'node:timers/promises';
import { replayMessage, type StationReading, stationDeviceId } from './replay.js';
import { backfillTimestamps, nextSeq } from './schedule.js';
import { type SyntheticReading, syntheticReading } from './synthetic.js';

/** A telemetry v1 message of one device. */
export type DeviceReading = Pick<SyntheticReading, 'deviceId' | 'ts' | 'seq'> & {
  lat: number | null;
  lon: number | null;
  o3: number | null;
  pm25: number | null;
  pm10: number | null;
  co: number | null;
  so2: number | null;
  no2: number | null;
};

export interface ReadingSource {
  deviceIds: string[];
  /** Readings published first, as fast as the broker acknowledges them. */
  backfill(): Iterable<DeviceReading>;
  /** Readings published when due; ends when the signal aborts (or the replay is over). */
  live(signal: AbortSignal): AsyncIterable<DeviceReading[]>;
}

export interface SyntheticSourceOptions {
  deviceIds: string[];
  seed: number;
  backfillHours: number;
  stepMinutes: number;
  intervalMs: number;
  now: () => number;
  /** A change of the data distribution: readings stamped at or after `atMs` are scaled. */
  shift?: DistributionShift;
  /**
   * Readings stamped `t` carry the values the seed gives for `t + timeOffsetMs`: the same
   * weather, episodes and weekdays whenever it runs (a reproducible replay). Default 0.
   */
  timeOffsetMs?: number;
}

export interface DistributionShift {
  /** Epoch ms from which readings change. */
  atMs: number;
  /** Factor applied to every pollutant concentration. */
  factor: number;
}

const POLLUTANTS = ['o3', 'pm25', 'pm10', 'co', 'so2', 'no2'] as const;

/** The reading as a shifted world would report it (what a drift test or demo needs). */
export const applyShift = (
  reading: DeviceReading,
  shift: DistributionShift | undefined,
): DeviceReading => {
  if (!shift || Date.parse(reading.ts) < shift.atMs) return reading;
  const shifted = { ...reading };
  for (const metric of POLLUTANTS) {
    const value = shifted[metric];
    if (value !== null) shifted[metric] = Math.round(value * shift.factor * 10) / 10;
  }
  return shifted;
};

export const syntheticSource = (options: SyntheticSourceOptions): ReadingSource => {
  const seqs = new Map<string, number>();
  const reading = (deviceId: string, ts: number): DeviceReading => {
    const seq = nextSeq(seqs.get(deviceId), ts);
    seqs.set(deviceId, seq);
    const offset = options.timeOffsetMs ?? 0;
    const values = syntheticReading({ seed: options.seed, deviceId, ts: ts + offset, seq });
    const stamped = offset === 0 ? values : { ...values, ts: new Date(ts).toISOString() };
    return applyShift(stamped, options.shift);
  };
  return {
    deviceIds: options.deviceIds,
    *backfill() {
      const grid = backfillTimestamps(options.now(), options.backfillHours, options.stepMinutes);
      for (const ts of grid) for (const id of options.deviceIds) yield reading(id, ts);
    },
    async *live(signal) {
      // Without history there is nothing to show until the first interval: publish right away.
      if (options.backfillHours === 0)
        yield options.deviceIds.map((id) => reading(id, options.now()));
      while (!signal.aborted) {
        try {
          await sleep(options.intervalMs, undefined, { signal });
        } catch {
          return;
        }
        const ts = options.now();
        yield options.deviceIds.map((id) => reading(id, ts));
      }
    },
  };
};

export interface ReplaySourceOptions {
  /** Readings of every file, any order. */
  readings: StationReading[];
  /**
   * Time acceleration: 3600 replays an hour of data per second of wall time. `Infinity` is the
   * backfill mode: everything at once, as fast as the broker acknowledges.
   */
  speed: number;
  /** Shift timestamps by whole hours so the last reading is the current hour. */
  alignToNow: boolean;
  now: () => number;
}

const HOUR_MS = 3_600_000;

export const replaySource = (options: ReplaySourceOptions): ReadingSource => {
  const readings = [...options.readings].sort((a, b) => a.ts - b.ts);
  const deviceIds = [...new Set(readings.map((r) => stationDeviceId(r.station)))].sort();
  const last = readings.at(-1)?.ts ?? 0;
  const shift = options.alignToNow
    ? Math.floor(options.now() / HOUR_MS) * HOUR_MS - Math.floor(last / HOUR_MS) * HOUR_MS
    : 0;
  const seqs = new Map<string, number>();
  const message = (r: StationReading): DeviceReading => {
    const id = stationDeviceId(r.station);
    const seq = nextSeq(seqs.get(id), r.ts + shift);
    seqs.set(id, seq);
    return replayMessage(r, seq, shift);
  };
  const paced = Number.isFinite(options.speed);
  return {
    deviceIds,
    *backfill() {
      if (!paced) for (const r of readings) yield message(r);
    },
    async *live(signal) {
      if (!paced) return;
      const first = readings[0]?.ts ?? 0;
      const started = options.now();
      let i = 0;
      while (i < readings.length && !signal.aborted) {
        const ts = (readings[i] as StationReading).ts;
        const due = started + (ts - first) / options.speed;
        const wait = due - options.now();
        if (wait > 0) {
          try {
            await sleep(wait, undefined, { signal });
          } catch {
            return;
          }
        }
        // Every reading of the same instant (one per station) goes out together.
        const batch: DeviceReading[] = [];
        while (i < readings.length && (readings[i] as StationReading).ts === ts) {
          batch.push(message(readings[i] as StationReading));
          i++;
        }
        yield batch;
      }
    },
  };
};

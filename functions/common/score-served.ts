// The scoring step of realised accuracy, run from the hourly rollup: each start hour whose served
// forecasts have all become the past is scored once against the hourly means the hot path now
// holds, into accuracy/scores/<date>/<HH>/<shard>.json (rows + forecasts beside their actuals)
// and accuracy/fleet/<date>.json (totals per version, variant, metric and role: the champion's
// shadows of canary forecasts apart, each paired with the canary's sums). A cursor records the
// last hour scored; scoring an hour again writes the same objects, so a race costs nothing.

import { hourlyMeans } from '../../core/device-context.js';
import { SmogcastError } from '../../core/errors.js';
import { mapLimit } from '../../core/map-limit.js';
import type { Metric } from '../../core/metrics.js';
import type { ObjectStore } from '../../core/ports.js';
import {
  type ActualSeries,
  dateOf,
  type FleetDay,
  type FleetRow,
  fleetDayKey,
  fleetRows,
  HOUR_MS,
  SCORING_CURSOR_KEY,
  type ScoredHour,
  type ServedBatch,
  type ServedSample,
  scoreHour,
  scoreKey,
  scoreShardOf,
  servedHourPrefix,
} from '../../core/realised-accuracy.js';
import { decodeText } from '../../core/text.js';
import type { ContextReader } from './context-reader.js';
import { readJsonOrUndefined } from './read-json.js';

export interface ScoreServedDeps {
  store: ObjectStore;
  contexts: ContextReader;
  now: () => number;
  /** Hours every served forecast covers (the model's prediction length). */
  predictionLength: number;
  /** Hours the hot path keeps: older start hours cannot be scored any more. */
  contextHours: number;
  /** Start hours scored per call, at most (the rollup's budget). */
  maxHours?: number;
}

const MAX_LISTED_HOURS = 48;

export interface ScoreServedResult {
  hours: number;
  samples: number;
  scoredThrough: string | null;
}

const putJson = (store: ObjectStore, key: string, value: unknown) =>
  store.put(key, JSON.stringify(value), 'application/json');

/** The samples written for forecasts starting at `hour`, from every instance. */
export const readServedHour = async (store: ObjectStore, hour: number): Promise<ServedSample[]> => {
  const keys = (await store.list(servedHourPrefix(hour))).filter((k) => k.endsWith('.json'));
  const batches = await mapLimit(keys, 8, (k) => readJsonOrUndefined<ServedBatch>(store, k));
  return batches.flatMap((b) => (b && Array.isArray(b.samples) ? b.samples : []));
};

/**
 * Sets one hour of the fleet day: by compare-and-swap where the store can, so two scorers of
 * different hours (a lagging cursor) do not drop each other's hour.
 */
const putFleetHour = async (store: ObjectStore, hour: number, rows: FleetRow[]): Promise<void> => {
  const date = dateOf(hour);
  const key = fleetDayKey(date);
  const withHour = (day: FleetDay | undefined): FleetDay => {
    const next = day ?? { v: 1, date, hours: {} };
    next.hours[String(new Date(hour).getUTCHours()).padStart(2, '0')] = rows;
    return next;
  };
  if (!store.getVersioned || !store.putIfMatch) {
    await putJson(store, key, withHour(await readJsonOrUndefined<FleetDay>(store, key)));
    return;
  }
  for (let attempt = 1; attempt <= 10; attempt++) {
    const current = await store.getVersioned(key);
    const day = current ? (JSON.parse(decodeText(current.body)) as FleetDay) : undefined;
    const body = JSON.stringify(withHour(day));
    if (await store.putIfMatch(key, body, current?.etag ?? null, 'application/json')) return;
  }
  throw new FleetDayConflictError(key);
};

export class FleetDayConflictError extends SmogcastError {
  constructor(key: string) {
    super(`${key} kept changing under 10 attempts`);
    this.name = 'FleetDayConflictError';
  }
}

/** Scores one start hour and writes its shards and its part of the fleet day. */
export const scoreServedHour = async (
  hour: number,
  deps: Pick<ScoreServedDeps, 'store' | 'contexts'>,
): Promise<number> => {
  const samples = await readServedHour(deps.store, hour);
  if (samples.length === 0) return 0;
  const devices = [...new Set(samples.map((s) => s.deviceId))];
  const contexts = new Map(
    await mapLimit(devices, 8, async (id) => [id, await deps.contexts.deviceContext(id)] as const),
  );
  const actualOf = (deviceId: string, metric: string): ActualSeries | undefined => {
    const context = contexts.get(deviceId);
    return context ? hourlyMeans(context, metric as Metric) : undefined;
  };
  const { rows, forecasts } = scoreHour(samples, actualOf);
  const startHour = new Date(hour).toISOString();
  const shards = new Map<number, ScoredHour>();
  for (const row of rows) {
    const shard = scoreShardOf(row.deviceId);
    const scored = shards.get(shard) ?? { v: 1, startHour, rows: [], forecasts: [] };
    scored.rows.push(row);
    shards.set(shard, scored);
  }
  for (const f of forecasts) shards.get(scoreShardOf(f.deviceId))?.forecasts.push(f);
  await mapLimit([...shards], 8, ([shard, scored]) =>
    putJson(deps.store, scoreKey(hour, shard), scored),
  );

  await putFleetHour(deps.store, hour, fleetRows(rows));
  return samples.length;
};

/** Scores the start hours that became scorable since the last call (oldest first). */
export const scoreServed = async (deps: ScoreServedDeps): Promise<ScoreServedResult> => {
  const now = deps.now();
  // A forecast starting at h covers [h, h + predictionLength h): all past once that hour ended.
  const lastScorable = Math.floor(now / HOUR_MS) * HOUR_MS - deps.predictionLength * HOUR_MS;
  const oldest = lastScorable - (deps.contextHours - deps.predictionLength - 1) * HOUR_MS;
  const cursor = await readJsonOrUndefined<{ scoredThrough?: string }>(
    deps.store,
    SCORING_CURSOR_KEY,
  );
  const after = cursor?.scoredThrough ? Date.parse(cursor.scoredThrough) : Number.NaN;
  // A first call starts MAX_LISTED_HOURS back: older samples, if any, are left unscored.
  let hour = Number.isFinite(after)
    ? Math.max(after + HOUR_MS, oldest)
    : Math.max(oldest, lastScorable - (MAX_LISTED_HOURS - 1) * HOUR_MS);
  let hours = 0;
  let samples = 0;
  let through: number | null = Number.isFinite(after) ? after : null;
  // Hours nobody was served in cost one listing each; a bounded number of them per call.
  let listed = 0;
  while (hour <= lastScorable && hours < (deps.maxHours ?? 6) && listed < MAX_LISTED_HOURS) {
    const scored = await scoreServedHour(hour, deps);
    samples += scored;
    through = hour;
    hour += HOUR_MS;
    listed += 1;
    if (scored > 0) hours += 1;
  }
  if (listed > 0 && through !== null) {
    await putJson(deps.store, SCORING_CURSOR_KEY, {
      scoredThrough: new Date(through).toISOString(),
    });
  }
  return {
    hours,
    samples,
    scoredThrough: through === null ? null : new Date(through).toISOString(),
  };
};

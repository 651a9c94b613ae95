// The engine canary's verdict, polled by the retrain state machine while the canary bakes: an
// alarm in ALARM (the canary's forecast errors) rolls it back at once; once the bake is over,
// the realised losses since the canary started decide, paired: the canary's sampled forecasts on
// its own devices against the champion's shadow forecasts of the very same requests (same
// devices, metric and hours), scored hourly against the readings that arrived
// (functions/common/score-served.ts, the shadow rows of the fleet days). Comparing each side's
// own devices would judge the devices, not the models: device-level wQL varies a lot. A canary
// worse than the champion by more than the tolerance rolls back, otherwise it takes all traffic.
// Without enough pairs the alarms alone decide, and the reasons say so.
import type { ObjectStore } from '../../core/ports.js';
import {
  addSums,
  dateOf,
  emptySums,
  type FleetDay,
  fleetDayKey,
  HOUR_MS,
  roleOf,
  type ScoreSums,
  scoresOf,
} from '../../core/realised-accuracy.js';
import { readJsonOrUndefined } from '../common/read-json.js';
import type { CheckCanaryInput, CheckCanaryResult, RealisedSide } from './schema.js';

export interface CheckCanaryDeps {
  store: ObjectStore;
  now: () => number;
}

const DAY_MS = 24 * HOUR_MS;
const round = (v: number) => Math.round(v * 10_000) / 10_000;

/** The paired realised sums: the canary's served forecasts and the champion's shadows of them. */
export interface PairedSums {
  canary: ScoreSums;
  champion: ScoreSums;
  /** Devices paired in the busiest scored hour (the canary's sampled devices). */
  devices: number;
}

/**
 * Paired sums of the forecasts that start in or after the hour before `since`, up to `now`: a
 * forecast starts after the last complete hour the hot path holds, so one served just after
 * `since` may start in the hour before it. Only shadow rows of `champion` beside `canary` count
 * (each carries the canary's sums on the same devices and hours); served rows of either version
 * are the other devices' and are left out.
 */
export const pairedSince = async (
  store: ObjectStore,
  since: number,
  now: number,
  canary: string,
  champion: string,
): Promise<PairedSums> => {
  const paired: PairedSums = { canary: emptySums(), champion: emptySums(), devices: 0 };
  const firstHour = Math.floor(since / HOUR_MS) * HOUR_MS - HOUR_MS;
  for (let day = Math.floor(firstHour / DAY_MS) * DAY_MS; day <= now; day += DAY_MS) {
    const fleet = await readJsonOrUndefined<FleetDay>(store, fleetDayKey(dateOf(day)));
    for (const [hh, rows] of Object.entries(fleet?.hours ?? {})) {
      if (day + Number(hh) * HOUR_MS < firstHour) continue;
      for (const row of rows) {
        if (roleOf(row) !== 'shadow' || row.version !== champion || row.shadowOf !== canary) {
          continue;
        }
        if (!row.paired) continue;
        addSums(paired.champion, row.sums);
        addSums(paired.canary, row.paired);
        paired.devices = Math.max(paired.devices, row.devices);
      }
    }
  }
  return paired;
};

const side = (version: string, sums: ScoreSums): RealisedSide => {
  const scores = scoresOf(sums);
  return { version, points: scores.points, meanWql: scores.meanWql };
};

/** The verdict from the alarms, the bake and the realised sides (pure). */
export const decideCanary = (
  input: CheckCanaryInput,
  now: number,
  canary: RealisedSide,
  champion: RealisedSide,
): CheckCanaryResult => {
  const base = { canary, champion };
  const alarmed = input.alarms.filter((a) => a.StateValue === 'ALARM');
  if (alarmed.length > 0) {
    return {
      ...base,
      action: 'rollback',
      reasons: alarmed.map(
        (a) =>
          `canary ${input.version}: alarm ${a.AlarmName} is in ALARM${a.StateReason ? ` (${a.StateReason})` : ''}`,
      ),
    };
  }
  const bakeEnd = Date.parse(input.startedAt) + input.bakeSeconds * 1000;
  if (now < bakeEnd) {
    return {
      ...base,
      action: 'wait',
      reasons: [`canary ${input.version} baking: ${Math.ceil((bakeEnd - now) / 1000)} s left`],
    };
  }
  const enough =
    canary.points >= input.minPoints &&
    champion.points >= input.minPoints &&
    canary.meanWql !== null &&
    champion.meanWql !== null;
  if (!enough || canary.meanWql === null || champion.meanWql === null) {
    return {
      ...base,
      action: 'promote',
      reasons: [
        `canary ${input.version} baked ${input.bakeSeconds} s with no alarm; realised loss not compared: ${canary.points} canary and ${champion.points} champion-shadow points scored on the canary's devices (${input.minPoints} paired points each needed)`,
      ],
    };
  }
  const bar = champion.meanWql * (1 + input.lossTolerance);
  const verdict = `realised wQL on the canary's devices, paired by request: canary ${input.version} ${round(canary.meanWql)} over ${canary.points} points vs champion ${input.championVersion} ${round(champion.meanWql)} over ${champion.points} points (must be ≤ ${round(bar)}, tolerance ${input.lossTolerance})`;
  return canary.meanWql <= bar
    ? {
        ...base,
        action: 'promote',
        reasons: [`canary ${input.version} baked with no alarm; ${verdict}`],
      }
    : { ...base, action: 'rollback', reasons: [`canary ${input.version} loses: ${verdict}`] };
};

export const checkCanary = async (
  input: CheckCanaryInput,
  deps: CheckCanaryDeps,
): Promise<CheckCanaryResult> => {
  const now = deps.now();
  const paired = await pairedSince(
    deps.store,
    Date.parse(input.startedAt),
    now,
    input.version,
    input.championVersion,
  );
  return decideCanary(
    input,
    now,
    side(input.version, paired.canary),
    side(input.championVersion, paired.champion),
  );
};

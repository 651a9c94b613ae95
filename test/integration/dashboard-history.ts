// A local runtime with a week behind it, for the dashboard's browser test and screenshots: the
// runtime's clock starts a week back and is run forward while the simulated fleet's readings
// arrive. At each step the forecast API is asked for every device's forecasts (which its sampler
// keeps), the clock moves on, and the readings for those hours arrive, so update-context scores
// the forecasts whose hours have passed. The first run trains on four days of history; the
// readings then rise to three times their level, and a later run, triggered by that drift,
// trains a challenger that serves beside the champion in an A/B test (the stage's settings with
// deploymentStrategy ab); each following step runs one round of it, which scores both variants
// on the hours since and moves the traffic, until a variant holds 90% of it and the run deploys
// it alone. Retrain runs read the runtime's clock too (RuntimeSettings.now), so they are
// recorded at their simulated times. At the end the clock has caught up with the system clock.
// The readings are the same whenever it runs: the replay starts at the reference's time of day
// and its fleet reports the values the seed gives for the reference week (timeOffsetMs), so the
// runs, their drift and the A/B test's outcome do not depend on the day or hour of the test.
import type { Metric } from '../../core/metrics.js';
import { createRandom } from '../../core/random.js';
import { startFleet } from '../../device/fleet.js';
import type { ExecutionRecord } from '../../local/execution-record.js';
import { API_KEY, type ServingRuntime, startServingRuntime } from './api-fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The replay's first run stands at this instant of the seed's synthetic world: its readings
 * (weather, haze episodes, weekdays) are that week's, shifted to end at the present.
 */
export const REFERENCE_START = Date.UTC(2026, 10, 20, 10);

/** A clock that runs with the system clock from `startAt` and jumps forward when told. */
export interface SteppingClock {
  now: () => number;
  advance(ms: number): void;
}

export const steppingClock = (startAt: number): SteppingClock => {
  let offset = startAt - Date.now();
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`a clock only runs forward, not by ${ms} ms`);
      offset += ms;
    },
  };
};

export interface HistoryOptions {
  devices?: number;
  /** Days replayed after the first run (default 7). */
  days?: number;
  /** Hours between the forecast requests of one device and metric (default 8). */
  stepHours?: number;
  /** Metrics whose forecasts are served (and so scored). */
  metrics?: Metric[];
  /** Day of the replay from which readings are three times as high (default 3). */
  driftFromDay?: number;
  /** Day of the replay at which the drift-triggered run runs (default 5). */
  retrainOnDay?: number;
  /** The synthetic instant the first run's readings are of (default REFERENCE_START). */
  referenceStartMs?: number;
  /** The present the replay runs up to (default the system clock's). */
  presentMs?: number;
  log?: (message: string) => void;
}

export interface HistoryRuntime extends ServingRuntime {
  clock: SteppingClock;
  /** The run that the drift triggered: its challenger entered an A/B test beside the champion. */
  driftRun: ExecutionRecord;
  /** The A/B test's rounds after it, in order; the last one concluded the test. */
  abRounds: ExecutionRecord[];
  /** Forecasts served (and offered to the sampler) during the replay. */
  served: number;
}

const serveForecasts = async (
  serving: ServingRuntime,
  metrics: Metric[],
): Promise<{ served: number }> => {
  let served = 0;
  for (const deviceId of serving.deviceIds) {
    for (const metric of metrics) {
      const res = await fetch(
        `${serving.runtime.apiUrl}/forecast?deviceId=${deviceId}&metric=${metric}`,
        { headers: { 'x-api-key': API_KEY } },
      );
      if (res.status !== 200) {
        throw new Error(`forecast ${deviceId}/${metric}: ${res.status} ${await res.text()}`);
      }
      await res.arrayBuffer();
      served += 1;
    }
  }
  return { served };
};

/**
 * Starts a runtime a week (plus an hour, plus up to a day to reach the reference's time of day)
 * back, replays the week, then runs its clock and fleet up to the present.
 */
export const startRuntimeWithHistory = async (
  options: HistoryOptions = {},
): Promise<HistoryRuntime> => {
  const days = options.days ?? 7;
  const stepHours = options.stepHours ?? 8;
  const metrics = options.metrics ?? ['pm25', 'o3'];
  const devices = options.devices ?? 3;
  const present = () => options.presentMs ?? Date.now();
  const reference = options.referenceStartMs ?? REFERENCE_START;
  // The week ends an hour before the present hour at most, so the clock never runs ahead of the
  // browser's; it starts at the reference's time of day, so whole days separate the two.
  const latest = Math.floor(present() / HOUR) * HOUR - days * DAY - HOUR;
  const start = latest - ((((latest - reference) % DAY) + DAY) % DAY);
  const timeOffsetMs = reference - start;
  const clock = steppingClock(start + 5 * 60_000);
  const serving = await startServingRuntime({
    devices,
    now: clock.now,
    log: options.log,
    timeOffsetMs,
    // The A/B test's traffic split is drawn the same way every time too.
    random: createRandom(11),
  });
  const shift = { atMs: start + (options.driftFromDay ?? 3) * DAY, factor: 3 };
  const retrainAt = start + (options.retrainOnDay ?? 5) * DAY;
  // The stage's settings with the A/B deployment strategy (serverless.yml deploymentStrategy: ab).
  const ab = { strategy: 'ab' as const };
  let driftRun: ExecutionRecord | undefined;
  const abRounds: ExecutionRecord[] = [];
  let served = 0;
  /** The fleet's readings of the last `hours` (on its 30-minute grid), delivered. */
  const deliver = async (hours: number) => {
    const fleet = await startFleet({
      broker: { kind: 'local', url: serving.runtime.mqttUrl },
      devices,
      seed: 11,
      backfillHours: hours,
      stepMinutes: 30,
      realtime: false,
      now: clock.now,
      shift,
      timeOffsetMs,
    });
    await fleet.backfillDone;
    await fleet.stop();
    await serving.runtime.drain();
  };
  try {
    for (let t = start; t < start + days * DAY; t += stepHours * HOUR) {
      served += (await serveForecasts(serving, metrics)).served;
      await serving.runtime.drain();
      clock.advance(stepHours * HOUR);
      await deliver(stepHours);
      // Drift triggers this run. Its challenger beats the champion on its held-out day by the
      // stage's margin (0.02; in the reference week 0.187 vs 0.195) and enters an A/B test
      // beside it. From the next step on, every run is a round of the test at the same margin,
      // until a variant holds 90% of the traffic or the week ends.
      const testing = (abRounds.at(-1) ?? driftRun)?.outcome === 'ab-testing';
      if (t + stepHours * HOUR === retrainAt) {
        driftRun = await serving.runtime.retrain(ab);
      } else if (testing) {
        abRounds.push(await serving.runtime.retrain(ab));
      }
    }
    // Up to a day is left before the present: forecasts go on being served and scored, with no
    // more runs. The last step ends within the hour before the present; from there the clock
    // is the system's.
    while (present() - clock.now() >= HOUR) {
      const hours = Math.min(stepHours, Math.floor((present() - clock.now()) / HOUR));
      served += (await serveForecasts(serving, metrics)).served;
      await serving.runtime.drain();
      clock.advance(hours * HOUR);
      await deliver(hours);
    }
    const behind = Math.max(0, present() - clock.now());
    clock.advance(behind);
    await deliver(behind / HOUR);
  } catch (error) {
    await serving.close();
    throw error;
  }
  if (!driftRun) {
    await serving.close();
    throw new RangeError(`retrainOnDay must fall on a step inside the ${days} days replayed`);
  }
  return { ...serving, clock, driftRun, abRounds, served };
};

import { describe, expect, it } from 'vitest';
import { simulatedDeviceIds, syntheticReading } from '../../../../device/synthetic.js';
import { evaluate, type Predictor } from '../../../../forecasting/evaluation/evaluate.js';
import { globalLag } from '../../../../forecasting/model/global-lag.js';
import { parseHyperparameters } from '../../../../forecasting/model/hyperparameters.js';
import type { Series } from '../../../../forecasting/model/types.js';
import { HYPERPARAMETERS } from '../synthetic.js';

const HOUR = 3_600_000;
const STEPS = 24;
const METRICS = ['pm25', 'o3', 'no2', 'co'] as const;
const START_MS = Date.parse('2026-11-21T22:00:00Z');
const HOURS = 9 * 24 + 1;
/** Readings are tripled from this hour on: the last day of training and the scored day. */
const SHIFT_AT = HOURS - 2 * STEPS;

/**
 * A small synthetic fleet (seed 11), hourly, whose readings triple two days before the end:
 * the level shift the drift run of the dashboard test plays. The test channel is the whole
 * series; the train channel is all but its last day.
 */
const shiftedFleet = (): Series[] =>
  simulatedDeviceIds(4).flatMap((deviceId, d) => {
    const readings = Array.from({ length: HOURS }, (_, t) =>
      syntheticReading({ seed: 11, deviceId, ts: START_MS + t * HOUR, seq: t }),
    );
    return METRICS.map((metric, m) => ({
      start: '2026-11-21 22:00:00',
      cat: [d, m],
      target: readings.map((r, t) => {
        const v = r[metric];
        return v === null ? null : t >= SHIFT_AT ? 3 * v : v;
      }),
    }));
  });

const lastValue: Predictor = (history, levels) => {
  const last = history.target.filter((v) => v !== null).at(-1) ?? 0;
  const quantiles = Object.fromEntries(levels.map((l) => [String(l), Array(STEPS).fill(last)]));
  return { mean: Array(STEPS).fill(last), quantiles };
};

const wql = (test: Series[], predictor: Predictor) =>
  evaluate(test, STEPS, [0.1, 0.5, 0.9], predictor).find(
    (m) => m.name === 'test:mean_wQuantileLoss',
  )?.value ?? Number.NaN;

describe('globalLag across a level shift', () => {
  it('trained across a tripling two days before the end, scores no worse than naive after it', () => {
    // Prepare: the fleet trained on all but its scored day; the same model without the
    // per-step ranges of the level deviations (as older artifacts are), for comparison.
    const test = shiftedFleet();
    const train = test.map((s) => ({ ...s, target: s.target.slice(0, -STEPS) }));
    const model = globalLag.train(train, parseHyperparameters(HYPERPARAMETERS), 42);
    const unguarded = {
      ...model,
      groups: Object.fromEntries(
        Object.entries(model.groups).map(([k, { deviationRanges: _, ...g }]) => [k, g]),
      ),
    };
    const engine =
      (m: typeof model): Predictor =>
      (history, levels) =>
        globalLag.predict(m, history, {
          outputTypes: ['mean', 'quantiles'],
          quantiles: levels.map((level) => ({ key: String(level), level })),
          numSamples: 10,
          seed: 0,
        });
    // Act
    const guarded = wql(test, engine(model));
    const extrapolating = wql(test, engine(unguarded));
    const naive = wql(test, lastValue);
    // Assert: the ridge mean-reverts toward a level the shift left behind; the guard hands
    // the steps whose present it never saw to naive.
    expect(extrapolating).toBeGreaterThan(naive);
    expect(guarded).toBeLessThanOrEqual(naive);
  });
});

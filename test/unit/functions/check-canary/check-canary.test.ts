// The engine canary's verdict: alarms first, then the bake, then the realised losses per version
// of the forecasts served since the canary started (from the fleet days the scoring step writes).
import { describe, expect, it } from 'vitest';
import {
  emptySums,
  type FleetDay,
  fleetDayKey,
  type ScoreSums,
} from '../../../../core/realised-accuracy.js';
import {
  checkCanary,
  decideCanary,
  realisedSince,
} from '../../../../functions/check-canary/check-canary.js';
import { CheckCanaryInput } from '../../../../functions/check-canary/schema.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';

const HOUR = 3_600_000;
const STARTED = Date.parse('2026-11-20T10:00:00Z');
const input = (over: Partial<CheckCanaryInput> = {}): CheckCanaryInput =>
  CheckCanaryInput.parse({
    version: 'v2',
    startedAt: new Date(STARTED).toISOString(),
    championVersion: 'v1',
    bakeSeconds: '600',
    ...over,
  });
const side = (version: string, points: number, meanWql: number | null) => ({
  version,
  points,
  meanWql,
});
const AFTER_BAKE = STARTED + 601_000;

/** Sums of `n` points whose mean wQL is `wql` (absActual n, pinball split evenly). */
const sums = (n: number, wql: number): ScoreSums => ({
  ...emptySums(),
  n,
  absActual: n,
  pinball: { p10: wql * n, p50: wql * n, p90: wql * n },
});

describe('decideCanary', () => {
  it('rolls back at once on an alarm in ALARM, bake or not, naming the alarm', () => {
    const verdict = decideCanary(
      input({
        alarms: [
          { AlarmName: 'canary-errors', StateValue: 'ALARM', StateReason: '3 errors' },
          { AlarmName: 'other', StateValue: 'OK' },
        ],
      }),
      STARTED + 1_000,
      side('v2', 0, null),
      side('v1', 0, null),
    );
    expect(verdict.action).toBe('rollback');
    expect(verdict.reasons).toEqual(['canary v2: alarm canary-errors is in ALARM (3 errors)']);
  });

  it('waits while the bake lasts', () => {
    const verdict = decideCanary(
      input(),
      STARTED + 540_000,
      side('v2', 99, 0.9),
      side('v1', 99, 0.1),
    );
    expect(verdict).toMatchObject({ action: 'wait', reasons: ['canary v2 baking: 60 s left'] });
  });

  it('promotes on the alarms alone when either side has too few realised points, and says so', () => {
    const verdict = decideCanary(input(), AFTER_BAKE, side('v2', 23, 0.9), side('v1', 100, 0.1));
    expect(verdict.action).toBe('promote');
    expect(verdict.reasons[0]).toContain(
      'realised loss not compared: 23 canary and 100 champion points scored (24 each needed)',
    );
  });

  it('promotes within the tolerance and rolls back beyond it', () => {
    const within = decideCanary(input(), AFTER_BAKE, side('v2', 48, 0.32), side('v1', 48, 0.3));
    expect(within.action).toBe('promote');
    expect(within.reasons[0]).toContain(
      'realised wQL canary v2 0.32 over 48 points vs champion v1 0.3 over 48 points (must be ≤ 0.33, tolerance 0.1)',
    );
    const beyond = decideCanary(input(), AFTER_BAKE, side('v2', 48, 0.34), side('v1', 48, 0.3));
    expect(beyond.action).toBe('rollback');
    expect(beyond.reasons[0]).toMatch(/^canary v2 loses: realised wQL canary v2 0.34/);
  });
});

describe('realisedSince', () => {
  it("sums each version's fleet rows from the hour before the start on, across days", async () => {
    // Prepare: rows two hours before the start (left out), the hour before, and the next day.
    const store = new MemoryObjectStore('lake');
    const row = (version: string, s: ScoreSums) => ({
      version,
      variant: 'x',
      metric: 'pm25',
      devices: 1,
      sums: s,
    });
    const day1: FleetDay = {
      v: 1,
      date: '2026-11-20',
      hours: {
        '08': [row('v1', sums(50, 5))],
        '09': [row('v1', sums(10, 0.2)), row('v2', sums(10, 0.4))],
      },
    };
    const day2: FleetDay = {
      v: 1,
      date: '2026-11-21',
      hours: { '03': [row('v2', sums(20, 0.1)), row('v0', sums(5, 1))] },
    };
    await store.put(fleetDayKey('2026-11-20'), JSON.stringify(day1));
    await store.put(fleetDayKey('2026-11-21'), JSON.stringify(day2));

    // Act
    const got = await realisedSince(store, STARTED, STARTED + 20 * HOUR, ['v1', 'v2']);

    // Assess
    expect(got.get('v1')?.n).toBe(10);
    expect(got.get('v2')?.n).toBe(30);
    expect(got.has('v0')).toBe(false);
  });

  it('reads no fleet day yet as no points', async () => {
    const verdict = await checkCanary(input(), {
      store: new MemoryObjectStore('lake'),
      now: () => AFTER_BAKE,
    });
    expect(verdict.canary).toEqual({ version: 'v2', points: 0, meanWql: null });
    expect(verdict.action).toBe('promote');
  });
});

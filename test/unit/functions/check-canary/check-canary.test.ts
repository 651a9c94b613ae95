// The engine canary's verdict: alarms first, then the bake, then the realised losses since the
// canary started, paired: the canary's forecasts against the champion's shadows of the same
// requests (the shadow rows of the fleet days the scoring step writes).
import { describe, expect, it } from 'vitest';
import {
  emptySums,
  type FleetDay,
  type FleetRow,
  fleetDayKey,
  type ScoreSums,
} from '../../../../core/realised-accuracy.js';
import {
  checkCanary,
  decideCanary,
  pairedSince,
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
      "realised loss not compared: 23 canary and 100 champion-shadow points scored on the canary's devices (24 paired points each needed)",
    );
  });

  it('promotes within the tolerance and rolls back beyond it', () => {
    const within = decideCanary(input(), AFTER_BAKE, side('v2', 48, 0.32), side('v1', 48, 0.3));
    expect(within.action).toBe('promote');
    expect(within.reasons[0]).toContain(
      "realised wQL on the canary's devices, paired by request: canary v2 0.32 over 48 points vs champion v1 0.3 over 48 points (must be ≤ 0.33, tolerance 0.1)",
    );
    const beyond = decideCanary(input(), AFTER_BAKE, side('v2', 48, 0.34), side('v1', 48, 0.3));
    expect(beyond.action).toBe('rollback');
    expect(beyond.reasons[0]).toMatch(/^canary v2 loses: realised wQL .* canary v2 0.34/);
  });
});

describe('pairedSince', () => {
  const row = (version: string, s: ScoreSums, over: Partial<FleetRow> = {}): FleetRow => ({
    version,
    variant: 'x',
    metric: 'pm25',
    devices: 1,
    sums: s,
    ...over,
  });
  const shadow = (of: string, champion: ScoreSums, canary: ScoreSums, devices = 1): FleetRow =>
    row('v1', champion, { role: 'shadow', shadowOf: of, paired: canary, devices });

  it('sums the champion shadows beside the canary and their paired canary sums, from the hour before the start on, across days', async () => {
    // Prepare: served rows of both versions (other devices: left out), a shadow two hours before
    // the start (left out), one the hour before, one beside another canary (left out), and one
    // the next day.
    const store = new MemoryObjectStore('lake');
    const day1: FleetDay = {
      v: 1,
      date: '2026-11-20',
      hours: {
        '08': [shadow('v2', sums(50, 5), sums(50, 5))],
        '09': [
          row('v1', sums(100, 0.1)),
          row('v2', sums(10, 0.4)),
          shadow('v2', sums(10, 0.2), sums(10, 0.4), 2),
          shadow('v0', sums(7, 1), sums(7, 1)),
        ],
      },
    };
    const day2: FleetDay = {
      v: 1,
      date: '2026-11-21',
      hours: { '03': [shadow('v2', sums(20, 0.3), sums(20, 0.1), 3)] },
    };
    await store.put(fleetDayKey('2026-11-20'), JSON.stringify(day1));
    await store.put(fleetDayKey('2026-11-21'), JSON.stringify(day2));

    // Act
    const got = await pairedSince(store, STARTED, STARTED + 20 * HOUR, 'v2', 'v1');

    // Assess: 10 + 20 points on each side, each side's own sums.
    expect(got.champion.n).toBe(30);
    expect(got.canary.n).toBe(30);
    expect(got.champion.pinball.p50).toBeCloseTo(0.2 * 10 + 0.3 * 20);
    expect(got.canary.pinball.p50).toBeCloseTo(0.4 * 10 + 0.1 * 20);
    expect(got.devices).toBe(3);
  });

  it('judges the models on the same devices: a canary on harder devices but as good as the champion is promoted', async () => {
    // Prepare: the canary's own devices score 0.9 (hard), the champion's 0.1 (easy); on the
    // canary's devices the champion's shadow scores 0.9 too.
    const store = new MemoryObjectStore('lake');
    const day: FleetDay = {
      v: 1,
      date: '2026-11-20',
      hours: {
        '11': [
          row('v1', sums(48, 0.1)),
          row('v2', sums(48, 0.9)),
          shadow('v2', sums(48, 0.9), sums(48, 0.9)),
        ],
      },
    };
    await store.put(fleetDayKey('2026-11-20'), JSON.stringify(day));

    // Act
    const verdict = await checkCanary(input(), { store, now: () => AFTER_BAKE });

    // Assess
    expect(verdict.action).toBe('promote');
    expect(verdict.canary).toEqual({ version: 'v2', points: 48, meanWql: 0.9 });
    expect(verdict.champion).toEqual({ version: 'v1', points: 48, meanWql: 0.9 });
  });

  it('reads old fleet days (no shadow rows) and no fleet day yet as no pairs', async () => {
    const store = new MemoryObjectStore('lake');
    const old: FleetDay = {
      v: 1,
      date: '2026-11-20',
      hours: { '11': [row('v1', sums(48, 0.1)), row('v2', sums(48, 0.9))] },
    };
    await store.put(fleetDayKey('2026-11-20'), JSON.stringify(old));
    const verdict = await checkCanary(input(), { store, now: () => AFTER_BAKE });
    expect(verdict.canary).toEqual({ version: 'v2', points: 0, meanWql: null });
    expect(verdict.action).toBe('promote');
    expect(verdict.reasons[0]).toContain('realised loss not compared');
    const none = await checkCanary(input(), {
      store: new MemoryObjectStore('lake'),
      now: () => AFTER_BAKE,
    });
    expect(none.champion).toEqual({ version: 'v1', points: 0, meanWql: null });
  });
});

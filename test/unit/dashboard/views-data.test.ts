import { describe, expect, it } from 'vitest';
import {
  abRounds,
  DEFAULT_PSI_THRESHOLD,
  dailyAccuracy,
  deviceBands,
  psiRuns,
  registryEvents,
  runTimelines,
} from '../../../dashboard/src/views-data.js';

// What GET /status carries today: run summaries with their drift report, registry entries.
const status = {
  runs: [
    {
      runId: 'run-2',
      startedAt: '2026-12-02T10:00:00.000Z',
      finishedAt: '2026-12-02T10:05:00.000Z',
      outcome: 'rejected',
      states: ['Prepare', 'Train', 'Evaluate'],
      version: '20261202-100000',
      reasons: ['challenger worse by 4%'],
      drift: { psi: { pm25: 0.31, o3: 0.05 }, reasons: [] },
    },
    {
      runId: 'run-1',
      startedAt: '2026-12-01T10:00:00.000Z',
      finishedAt: '2026-12-01T10:04:00.000Z',
      outcome: 'promoted',
      states: [],
      version: '20261201-100000',
      reasons: ['no champion model yet'],
      drift: null,
    },
  ],
  registry: [
    { version: '20261202-100000', deployedAt: '2026-12-02T10:05:00.000Z', outcome: 'rejected' },
    { version: '20261201-100000', deployedAt: '2026-12-01T10:04:00.000Z', outcome: 'promoted' },
  ],
};

describe('view data from GET /status', () => {
  it('takes PSI per metric from each run drift report, with the default threshold', () => {
    expect(psiRuns(status)).toEqual([
      {
        runId: 'run-2',
        t: Date.parse('2026-12-02T10:00:00.000Z'),
        psi: { pm25: 0.31, o3: 0.05 },
        threshold: DEFAULT_PSI_THRESHOLD,
      },
    ]);
  });

  it('turns the registry into dated events with the reason of the run behind each version', () => {
    expect(registryEvents(status).map((e) => [e.version, e.kind, e.reason])).toEqual([
      ['20261201-100000', 'promoted', 'no champion model yet'],
      ['20261202-100000', 'rejected', 'challenger worse by 4%'],
    ]);
  });

  it('shows a run without state times as one span', () => {
    const [run2] = runTimelines(status);
    expect(run2).toMatchObject({ runId: 'run-2', perState: false });
    expect(run2?.states).toEqual([
      {
        name: 'Prepare → Train → Evaluate',
        start: Date.parse('2026-12-02T10:00:00.000Z'),
        end: Date.parse('2026-12-02T10:05:00.000Z'),
      },
    ]);
  });
});

describe('view data from the accuracy and history endpoints', () => {
  it('reads a device hours with their quantiles and what was observed', () => {
    const bands = deviceBands({
      hours: [
        { hour: '2026-12-02T01:00:00Z', p10: 2, p50: 5, p90: 9, actual: null, version: 'v1' },
        { hour: '2026-12-02T00:00:00Z', quantiles: { '0.1': 1, '0.5': 4, '0.9': 8 }, actual: 6 },
      ],
    });
    expect(bands.map((b) => [b.p10, b.p50, b.p90, b.actual])).toEqual([
      [1, 4, 8, 6],
      [2, 5, 9, null],
    ]);
  });

  it('reads daily wQL and coverage per version, flat or nested', () => {
    const flat = dailyAccuracy({
      daily: [{ day: '2026-12-01', version: 'v1', wql: 0.2, coverage80: 0.78 }],
    });
    const nested = dailyAccuracy({
      versions: [
        { version: 'v2', daily: [{ day: '2026-12-01', wql: 0.1, coverage: { '80': 0.81 } }] },
      ],
    });
    expect(flat).toEqual([
      {
        version: 'v1',
        variant: null,
        series: 'v1',
        t: Date.parse('2026-12-01'),
        wql: 0.2,
        coverage80: 0.78,
      },
    ]);
    expect(nested[0]).toMatchObject({ version: 'v2', wql: 0.1, coverage80: 0.81 });
  });

  it('reads per-state times, A/B weights per round and registry events', () => {
    const runs = {
      runs: [
        {
          runId: 'r',
          startedAt: '2026-12-02T10:00:00Z',
          outcome: 'ab-testing',
          states: [
            {
              name: 'Prepare',
              startedAt: '2026-12-02T10:00:00Z',
              finishedAt: '2026-12-02T10:00:02Z',
            },
            { name: 'Train', startedAt: '2026-12-02T10:00:02Z', durationMs: 3000 },
          ],
          ab: { active: true, round: 2, championWeight: 0.75, challengerWeight: 0.25 },
          psi: { pm25: 0.1 },
          psiThreshold: 0.25,
        },
      ],
      events: [{ at: '2026-12-02T10:00:00Z', version: 'v3', kind: 'rolled-back', reason: 'alarm' }],
    };
    const [timeline] = runTimelines(runs);
    expect(timeline?.perState).toBe(true);
    expect(timeline?.states.map((s) => (s.end ?? 0) - s.start)).toEqual([2000, 3000]);
    expect(abRounds(runs)).toEqual([
      {
        label: 'round 2',
        t: Date.parse('2026-12-02T10:00:00Z'),
        weights: { champion: 0.75, challenger: 0.25 },
      },
    ]);
    expect(psiRuns(runs)[0]?.threshold).toBe(0.25);
    expect(registryEvents(runs)).toEqual([
      {
        t: Date.parse('2026-12-02T10:00:00Z'),
        version: 'v3',
        kind: 'rolled-back',
        reason: 'alarm',
      },
    ]);
  });
});

describe('view data in the shapes of core/accuracy.ts', () => {
  it('reads served forecasts hour by hour, the newest forecast of an hour winning', () => {
    const bands = deviceBands({
      served: [
        {
          version: 'v1',
          variant: 'primary',
          start: '2026-12-02T00:00:00Z',
          p10: [1, 1],
          p50: [2, 2],
          p90: [3, 3],
          actual: [2, null],
        },
        {
          version: 'v2',
          variant: 'primary',
          start: '2026-12-02T01:00:00Z',
          p10: [4],
          p50: [5],
          p90: [6],
          actual: [7],
        },
      ],
    });
    expect(bands.map((b) => [b.p10, b.p90, b.actual, b.version])).toEqual([
      [1, 3, 2, 'v1'],
      [4, 6, 7, 'v2'],
    ]);
  });

  it('draws a version that served as two variants as two lines, and one variant as its version', () => {
    // Prepare: v1 alone, then champion beside the challenger v2 on the same day.
    const row = (date: string, version: string, variant: string) => ({
      date,
      version,
      variant,
      meanWql: 0.2,
      coverage80: 0.8,
    });
    // Act
    const daily = dailyAccuracy({
      daily: [
        row('2026-11-30', 'v1', 'AllTraffic'),
        row('2026-12-01', 'v1', 'AllTraffic'),
        row('2026-12-01', 'v1', 'champion'),
        row('2026-12-01', 'v2', 'challenger'),
      ],
    });
    // Assess
    expect(daily.map((d) => d.series)).toEqual([
      'v1 · AllTraffic',
      'v1 · AllTraffic',
      'v1 · champion',
      'v2',
    ]);
  });

  it('takes meanWql as the day wQL, state spans in seconds and failed registry events', () => {
    const daily = dailyAccuracy({
      daily: [
        {
          date: '2026-12-01',
          version: 'v1',
          variant: 'primary',
          meanWql: 0.21,
          wql: { p10: 0.1, p50: 0.3, p90: 0.2 },
          coverage80: 0.8,
          points: 9,
          devices: 3,
        },
      ],
    });
    expect(daily).toEqual([
      {
        version: 'v1',
        variant: 'primary',
        series: 'v1',
        t: Date.parse('2026-12-01'),
        wql: 0.21,
        coverage80: 0.8,
      },
    ]);
    const [run] = runTimelines({
      runs: [
        {
          runId: 'r',
          startedAt: '2026-12-02T10:00:00Z',
          states: [{ name: 'Train', startedAt: '2026-12-02T10:00:00Z', endedAt: null, seconds: 4 }],
          psi: {},
          psiThreshold: null,
          ab: null,
        },
      ],
    });
    expect(run?.states[0]).toMatchObject({
      name: 'Train',
      end: Date.parse('2026-12-02T10:00:04Z'),
    });
    expect(
      registryEvents({
        events: [
          { at: '2026-12-02T10:00:00Z', version: 'v', kind: 'failed', reason: 'x', runId: null },
        ],
      })[0]?.kind,
    ).toBe('failed');
  });
});

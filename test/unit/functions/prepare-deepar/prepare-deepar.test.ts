import { describe, expect, it } from 'vitest';
import { encodeCuratedRows } from '../../../../core/curated/reader.js';
import { type CuratedRow, partitionFileKey } from '../../../../core/curated/schema.js';
import { parseSeriesLine } from '../../../../core/deepar.js';
import { NoCuratedDataError, NotEnoughDataError } from '../../../../core/errors.js';
import { metricIndex } from '../../../../core/metrics.js';
import { decodeText } from '../../../../core/text.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { makeHandler } from '../../../../functions/prepare-deepar/handler.js';
import { prepareDeepAr, versionOf } from '../../../../functions/prepare-deepar/prepare-deepar.js';
import { PrepareInput } from '../../../../functions/prepare-deepar/schema.js';
import { payloadBytes } from '../../../../local/payload-limit.js';
import { HOUR, T0 } from '../../../fixtures/lake/raw-lines.js';

const row = (
  deviceId: string,
  ts: number,
  o3: number | null,
  pm25: number | null = null,
): CuratedRow => ({
  deviceId,
  ts,
  seq: null,
  lat: null,
  lon: null,
  o3,
  pm25,
  pm10: null,
  co: null,
  so2: null,
  no2: null,
  receivedAt: ts,
});

/** Curated partitions of the rows, as the ETL writes them. */
const seed = async (store: MemoryObjectStore, rows: CuratedRow[]) => {
  const byDt = new Map<string, CuratedRow[]>();
  for (const r of rows) {
    const dt = new Date(r.ts).toISOString().slice(0, 10);
    byDt.set(dt, [...(byDt.get(dt) ?? []), r]);
  }
  for (const [dt, part] of byDt) await store.put(partitionFileKey(dt), encodeCuratedRows(part));
};

const lines = async (store: MemoryObjectStore, key: string) =>
  decodeText((await store.get(key)) ?? new Uint8Array())
    .trim()
    .split('\n')
    .filter(Boolean);

const input = (over: Partial<PrepareInput> = {}): PrepareInput =>
  PrepareInput.parse({
    runId: 'run-1',
    startedAt: '2026-11-26T00:30:00.000Z',
    predictionLength: 3,
    ...over,
  });

describe('prepareDeepAr', () => {
  it('writes test = full hourly series, train = test minus predictionLength, with NaN gaps', async () => {
    // Prepare: device b has 10 hours of o3 (two readings in hour 0, a gap at hour 4);
    // device a has only 4 hours, too few for predictionLength 3 (needs 6).
    const store = new MemoryObjectStore('lake');
    const rows: CuratedRow[] = [row('b', T0 + 10 * 60_000, 10), row('b', T0 + 20 * 60_000, 20, 5)];
    for (let h = 1; h < 10; h++) if (h !== 4) rows.push(row('b', T0 + h * HOUR, h));
    for (let h = 2; h < 6; h++) rows.push(row('a', T0 + h * HOUR + 5, 100 + h));
    await seed(store, rows);

    // Act
    const out = await prepareDeepAr(input(), { store });

    // Assess
    expect(out).toEqual({
      version: expect.stringMatching(/^20261126-003000-[0-9a-f]{6}$/),
      trainUri: 's3://lake/deepar/run-1/train/',
      testUri: 's3://lake/deepar/run-1/test/',
      series: 1,
      skipped: 2, // a/o3 and b/pm25 (one point)
      deviceCount: 2,
      rowsRead: 14,
    });
    const [testLine] = await lines(store, 'deepar/run-1/test/data.json');
    const [trainLine] = await lines(store, 'deepar/run-1/train/data.json');
    expect(testLine).toBe(
      '{"start":"2026-11-25 00:00:00","target":[15,1,2,3,"NaN",5,6,7,8,9],"cat":[1,0]}',
    );
    const test = parseSeriesLine(testLine ?? '');
    const train = parseSeriesLine(trainLine ?? '');
    expect(train.start).toBe(test.start);
    expect(train.target).toEqual(test.target.slice(0, test.target.length - 3));
    expect(train.cat).toEqual([1, metricIndex('o3')]);
    const categories = JSON.parse(
      decodeText((await store.get('deepar/run-1/categories.json')) as Uint8Array),
    );
    expect(categories).toEqual({
      devices: ['a', 'b'],
      metrics: ['o3', 'pm25', 'pm10', 'co', 'so2', 'no2'],
    });
    const profile = JSON.parse(
      decodeText((await store.get('deepar/run-1/profile.json')) as Uint8Array),
    );
    expect(profile.metrics.o3).toMatchObject({
      count: 9,
      missingShare: 0.1,
      min: 1,
      max: 15,
      p50: 6,
    });
    expect(profile.metrics.pm25.count).toBe(0);
  });

  it("keeps a 10,000-device fleet's category map in the lake, out of its task result", async () => {
    // Prepare: 10,000 devices (ids as long as a fleet's things' names); one has 8 hours of o3,
    // the others one reading each (their series are skipped, their ids still in the map).
    const store = new MemoryObjectStore('lake');
    const ids = Array.from(
      { length: 10_000 },
      (_, i) => `sim-station-cn-${String(i).padStart(6, '0')}`,
    );
    const rows = [
      ...Array.from({ length: 8 }, (_, h) => row(ids[0] as string, T0 + h * HOUR, h)),
      ...ids.slice(1).map((id, i) => row(id, T0 + (i % 8) * HOUR, i % 50)),
    ];
    await store.put(partitionFileKey('2026-11-25'), encodeCuratedRows(rows));

    // Act
    const out = await prepareDeepAr(input(), { store });

    // Assess: the challenger's map names every device (240 KB of ids); the step's result, which
    // the state machine receives as PrepareDeepAr's task result, stays a few hundred bytes.
    const categories = JSON.parse(
      decodeText((await store.get('deepar/run-1/categories.json')) as Uint8Array),
    );
    expect(categories.devices).toHaveLength(10_000);
    expect(out.deviceCount).toBe(10_000);
    expect(
      payloadBytes({ ExecutedVersion: '$LATEST', StatusCode: 200, Payload: out }),
    ).toBeLessThan(1_024);
  });

  it('keeps only the history window ending at the newest reading', async () => {
    // Prepare: an old reading 3 days before a 1-day window.
    const store = new MemoryObjectStore('lake');
    const rows = [row('a', T0 - 3 * 24 * HOUR, 999)];
    for (let h = 0; h < 8; h++) rows.push(row('a', T0 + h * HOUR, h));
    await seed(store, rows);

    // Act
    await prepareDeepAr(input({ historyDays: 1 }), { store });

    // Assess
    const [testLine] = await lines(store, 'deepar/run-1/test/data.json');
    expect(parseSeriesLine(testLine ?? '').target).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('shuffles series with a seed taken from the run id', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    const rows: CuratedRow[] = [];
    for (const d of ['d0', 'd1', 'd2', 'd3', 'd4', 'd5'])
      for (let h = 0; h < 6; h++) rows.push(row(d, T0 + h * HOUR, h));
    await seed(store, rows);

    // Act
    await prepareDeepAr(input({ runId: 'x' }), { store });
    await prepareDeepAr(input({ runId: 'x-again' }), { store });
    await prepareDeepAr(input({ runId: 'x' }), { store });

    // Assess
    const cats = async (runId: string) =>
      (await lines(store, `deepar/${runId}/test/data.json`)).map(
        (l) => parseSeriesLine(l).cat?.[0],
      );
    const first = await cats('x');
    expect([...first].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await cats('x')).toEqual(first);
    expect(await cats('x-again')).not.toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('throws NoCuratedDataError without curated data and NotEnoughDataError with too little', async () => {
    // Prepare
    const empty = new MemoryObjectStore('lake');
    const short = new MemoryObjectStore('lake');
    await seed(short, [row('a', T0, 1), row('a', T0 + HOUR, 2)]);

    // Act + Assess
    await expect(prepareDeepAr(input(), { store: empty })).rejects.toBeInstanceOf(
      NoCuratedDataError,
    );
    await expect(prepareDeepAr(input(), { store: short })).rejects.toBeInstanceOf(
      NotEnoughDataError,
    );
  });

  it('ends the window at the run clock, however far ahead one device stamps a reading', async () => {
    // Prepare: two devices with 10 hours each up to the run; device b also has one reading
    // stamped 23 h after the run started (its clock is wrong).
    const store = new MemoryObjectStore('lake');
    const startedAt = T0 + 10 * HOUR + 30 * 60_000;
    const rows: CuratedRow[] = [];
    for (let h = 0; h < 10; h++) rows.push(row('a', T0 + h * HOUR, h), row('b', T0 + h * HOUR, h));
    rows.push(row('b', startedAt + 23 * HOUR, 99));
    await seed(store, rows);

    // Act
    await prepareDeepAr(input({ startedAt: new Date(startedAt).toISOString() }), { store });

    // Assess: the window ends with hour 9 for both devices, not 23 hours of gaps later
    const profile = JSON.parse(
      decodeText((await store.get('deepar/run-1/profile.json')) as Uint8Array),
    );
    expect(profile.windowEnd).toBe(T0 + 10 * HOUR);
    const series = (await lines(store, 'deepar/run-1/test/data.json')).map(parseSeriesLine);
    expect(series.map((s) => s.target.length)).toEqual([10, 10]);
    expect(series.flatMap((s) => s.target)).not.toContain(99);
  });

  it('handler parses the state machine payload, coercing historyDays from a string', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    const rows: CuratedRow[] = [];
    for (let h = 0; h < 50; h++) rows.push(row('a', T0 + h * HOUR, h));
    await seed(store, rows);
    const handler = makeHandler({ store });

    // Act
    const out = await handler(
      {
        runId: 'exec-1',
        startedAt: '2026-11-27T12:00:05Z',
        predictionLength: 24,
        historyDays: '28',
      },
      {} as never,
    );

    // Assess
    expect(out).toMatchObject({
      version: versionOf('2026-11-27T12:00:05Z', 'exec-1'),
      series: 1,
      skipped: 0,
    });
    expect(versionOf('2026-11-27T12:00:05Z', 'exec-1')).not.toBe(
      versionOf('2026-11-27T12:00:05Z', 'exec-2'),
    );
    expect(PrepareInput.parse({ runId: 'r', startedAt: '2026-01-01T00:00:00Z' })).toMatchObject({
      predictionLength: 24,
      historyDays: 28,
    });
    expect(() => PrepareInput.parse({ runId: 'r', startedAt: 'yesterday' })).toThrow();
    expect(versionOf('2026-01-02T03:04:05.678Z')).toBe('20260102-030405');
  });
});

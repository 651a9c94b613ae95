// Realised accuracy end to end on one lake: raw deliveries through update-context (whose hourly
// rollup runs the scoring step), served forecasts through the forecast API's sampler, GET
// /accuracy through its handler — and the figures recomputed independently, the simple way,
// from the raw readings and the stored served-forecast samples, per day (the UTC day of a
// forecast's first hour) and version.
import { describe, expect, it } from 'vitest';
import {
  type AccuracyDay,
  DeviceAccuracyResponse,
  FleetAccuracyResponse,
} from '../../../../core/accuracy.js';
import { SERVED_PREFIX } from '../../../../core/realised-accuracy.js';
import { decodeText } from '../../../../core/text.js';
import { makeHandler as makeAccuracyHandler } from '../../../../functions/accuracy/handler.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../../../../functions/common/context-reader.js';
import { scoreServed } from '../../../../functions/common/score-served.js';
import type { ForecastResponse } from '../../../../functions/forecast/schema.js';
import { createServedSampler } from '../../../../functions/forecast/served-sampler.js';
import { updateContext } from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

const layout = { shards: 2, historyShards: 4, contextHours: 72 };
const PREDICTION_LENGTH = 6;
const DEVICES = ['sim-001', 'sim-002'];
/** Readings arrive from FIRST_HOUR (the evening before T0's day) to HOURS after T0. */
const FIRST_HOUR = -4;
const HOURS = 14;

/** A deterministic, irregular reading value. */
const readingValue = (device: number, hour: number, k: number, metric: number) =>
  10 + metric * 20 + ((device * 37 + hour * 11 + k * 5 + metric * 3) % 17);

const forecastOf = (
  deviceId: string,
  metric: 'pm25' | 'o3',
  startHour: number,
  version: string,
  variant: string,
  shift: number,
): ForecastResponse => {
  const p50 = Array.from(
    { length: PREDICTION_LENGTH },
    (_, h) => 18 + shift + h + (metric === 'o3' ? 20 : 0),
  );
  return {
    deviceId,
    metric,
    freq: 'H',
    start: new Date(startHour).toISOString(),
    horizon: PREDICTION_LENGTH,
    mean: p50,
    quantiles: {
      '0.1': p50.map((v) => v - 4),
      '0.5': p50,
      '0.9': p50.map((v) => v + 3),
    },
    model: { version, variant },
    generatedAt: new Date(startHour - HOUR).toISOString(),
  };
};

const s3Event = (...keys: string[]) => ({
  Records: keys.map((key) => ({ s3: { object: { key } } })),
});

const get = async (
  handler: ReturnType<typeof makeAccuracyHandler>,
  query: Record<string, string>,
) => {
  const res = await handler({ queryStringParameters: query } as never, {} as never);
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

/** The independent recomputation: hourly means of the raw lines, pinball losses by hand. */
const recompute = async (
  store: MemoryObjectStore,
  deviceId: string | null,
  metric: string | null,
) => {
  const readings = new Map<string, { sum: number; count: number }>();
  const seen = new Set<string>();
  for (const key of await store.list('raw/')) {
    const text = decodeText((await store.get(key)) ?? new Uint8Array());
    for (const line of text.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as Record<string, unknown>;
      const id = `${r.deviceId}|${r.seq}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const hour = Math.floor(Date.parse(String(r.ts)) / HOUR) * HOUR;
      for (const m of ['pm25', 'o3']) {
        if (typeof r[m] !== 'number') continue;
        const k = `${r.deviceId}|${m}|${hour}`;
        const acc = readings.get(k) ?? { sum: 0, count: 0 };
        acc.sum += r[m] as number;
        acc.count += 1;
        readings.set(k, acc);
      }
    }
  }
  const samples = new Map<string, Record<string, unknown>>();
  for (const key of await store.list(SERVED_PREFIX)) {
    const batch = JSON.parse(decodeText((await store.get(key)) ?? new Uint8Array()));
    for (const s of batch.samples) {
      samples.set(`${s.version}|${s.variant}|${s.deviceId}|${s.metric}|${s.startHour}`, s);
    }
  }
  const byDay = new Map<
    string,
    { loss: [number, number, number]; abs: number; n: number; inside: number }
  >();
  for (const s of samples.values()) {
    if (deviceId && s.deviceId !== deviceId) continue;
    if (metric && s.metric !== metric) continue;
    const day = new Date(s.startHour as number).toISOString().slice(0, 10);
    const key = `${day}|${s.version}`;
    const total = byDay.get(key) ?? {
      loss: [0, 0, 0] as [number, number, number],
      abs: 0,
      n: 0,
      inside: 0,
    };
    const bands = [s.p10, s.p50, s.p90] as number[][];
    for (let h = 0; h < PREDICTION_LENGTH; h++) {
      const acc = readings.get(`${s.deviceId}|${s.metric}|${(s.startHour as number) + h * HOUR}`);
      if (!acc) continue;
      const y = acc.sum / acc.count;
      [0.1, 0.5, 0.9].forEach((q, i) => {
        const e = y - (bands[i]?.[h] as number);
        total.loss[i as 0 | 1 | 2] += 2 * Math.max(q * e, (q - 1) * e);
      });
      total.abs += Math.abs(y);
      total.n += 1;
      if (y >= (bands[0]?.[h] as number) && y <= (bands[2]?.[h] as number)) total.inside += 1;
    }
    byDay.set(key, total);
  }
  return byDay;
};

describe('realised accuracy of served forecasts', () => {
  it('agrees with an independent recomputation from the raw readings and the stored samples', async () => {
    // Prepare: the forecast API serves (two instances, so some forecasts are sampled twice).
    const store = new MemoryObjectStore('lake');
    let now = T0 + HOUR;
    const clock = () => now;
    const samplers = ['a', 'b'].map((writerId) =>
      createServedSampler({ store, now: clock, periodHours: 1, writerId, flushMs: 60_000 }),
    );
    for (const [i, deviceId] of DEVICES.entries()) {
      // The first starts at 22:00 the day before: its hours after midnight count for that day.
      for (const start of [T0 - 2 * HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR, T0 + 5 * HOUR]) {
        for (const sampler of samplers) {
          sampler.offer(forecastOf(deviceId, 'pm25', start, 'v1', 'AllTraffic', i));
          sampler.offer(forecastOf(deviceId, 'o3', start, 'v1', 'AllTraffic', -i));
        }
      }
      // An A/B challenger served some of sim-002's requests.
      if (i === 1)
        samplers[0]?.offer(forecastOf(deviceId, 'pm25', T0 + 3 * HOUR, 'v2', 'challenger', 3));
    }
    await Promise.all(samplers.map((s) => s.flush()));

    // Act: readings arrive hour by hour (sim-002 misses hour 6; some of hour 4's are delivered
    // again, as a redelivery does); each new hour runs the scoring.
    const contexts = createContextReader(store, layout, { now: clock, ttlMs: 1 });
    const scoring = () =>
      scoreServed({
        store,
        contexts,
        now: clock,
        predictionLength: PREDICTION_LENGTH,
        contextHours: 72,
      });
    let seq = 0;
    for (let hour = FIRST_HOUR; hour < HOURS; hour++) {
      const lines = DEVICES.flatMap((deviceId, d) =>
        d === 1 && hour === 6
          ? []
          : [0, 1, 2].map((k) => {
              seq += 1;
              return rawLine({
                deviceId,
                seq,
                ts: T0 + hour * HOUR + k * 600_000,
                values: {
                  pm25: readingValue(d, hour - FIRST_HOUR, k, 0),
                  o3: readingValue(d, hour - FIRST_HOUR, k, 1),
                },
              });
            }),
      );
      now = T0 + hour * HOUR + 40 * 60_000;
      const keys = [await putRawObject(store, now, lines)];
      // A redelivery of some of the hour's readings: counted twice, they would move its mean.
      if (hour === 4) {
        keys.push(
          await putRawObject(
            store,
            now + 60_000,
            lines.filter((_, i) => i % 3 === 0),
          ),
        );
      }
      for (const key of keys) {
        await updateContext(s3Event(key), { store, layout, now: clock, afterHourRollup: scoring });
      }
    }
    now = T0 + HOURS * HOUR + 5 * 60_000;
    await scoring();
    const handler = makeAccuracyHandler({ store, now: clock, periodHours: 1 });
    const deviceAnswer = await get(handler, { deviceId: 'sim-002', metric: 'pm25', days: '2' });
    // The answers are the published contract.
    const device = { ...deviceAnswer, body: DeviceAccuracyResponse.parse(deviceAnswer.body) };
    const fleet = { body: FleetAccuracyResponse.parse((await get(handler, { days: '2' })).body) };
    const fleetPm25 = {
      body: FleetAccuracyResponse.parse((await get(handler, { days: '2', metric: 'pm25' })).body),
    };

    // Assess: every figure equals the recomputation.
    expect(device.status).toBe(200);
    const check = (rows: AccuracyDay[], expected: Awaited<ReturnType<typeof recompute>>) => {
      expect(new Set(rows.map((r) => `${r.date}|${r.version}`))).toEqual(new Set(expected.keys()));
      for (const row of rows) {
        const e = expected.get(`${row.date}|${row.version}`);
        if (!e) throw new Error(`unexpected day and version ${row.date} ${row.version}`);
        expect(row.points).toBe(e.n);
        expect(row.wql.p10).toBeCloseTo(e.loss[0] / e.abs, 5);
        expect(row.wql.p50).toBeCloseTo(e.loss[1] / e.abs, 5);
        expect(row.wql.p90).toBeCloseTo(e.loss[2] / e.abs, 5);
        expect(row.meanWql).toBeCloseTo((e.loss[0] + e.loss[1] + e.loss[2]) / 3 / e.abs, 5);
        expect(row.coverage80).toBeCloseTo(e.inside / e.n, 5);
      }
    };
    check(device.body.daily, await recompute(store, 'sim-002', 'pm25'));
    check(fleet.body.daily, await recompute(store, null, null));
    check(fleetPm25.body.daily, await recompute(store, null, 'pm25'));
    // sim-002 missed hour 6: its forecasts starting at 5 h scored 5 of 6 hours, the gap is null.
    const served = device.body.served.filter((f) => f.version === 'v1');
    expect(served.map((f) => f.start)).toEqual(
      [-2, 2, 3, 5].map((h) => new Date(T0 + h * HOUR).toISOString()),
    );
    expect(served[3]?.actual[1]).toBeNull();
    expect(served[3]?.actual.filter((v) => v !== null)).toHaveLength(5);
    // The forecast from 22:00 is the day before's, all six hours of it, midnight or not.
    expect(device.body.daily.find((d) => d.date === '2026-11-24')).toMatchObject({
      version: 'v1',
      points: 6,
    });
    expect(fleet.body.daily.map((d) => `${d.date} ${d.version}`)).toEqual([
      '2026-11-24 v1',
      '2026-11-25 v1',
      '2026-11-25 v2',
    ]);
    expect(
      fleet.body.daily.find((d) => d.date === '2026-11-25' && d.version === 'v1'),
    ).toMatchObject({
      variant: 'AllTraffic',
      devices: 2,
    });
  });
});

// The cost model's hot-path request counts (deploy/cost/model.ts hotPathRequests) against the
// real update-context and rollup on a store that counts requests: if the code changes what it
// reads or writes, this fails and the model must follow.
import { describe, expect, it } from 'vitest';
import { floorHour } from '../../../../core/device-context.js';
import { hotPathRequests } from '../../../../deploy/cost/model.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../../../../functions/common/context-reader.js';
import { rollupShard } from '../../../../functions/update-context/rollup.js';
import { updateContext } from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

class CountingStore extends MemoryObjectStore {
  counts = { get: 0, put: 0, list: 0 };
  reset() {
    this.counts = { get: 0, put: 0, list: 0 };
  }
  override async get(key: string) {
    this.counts.get += 1;
    return super.get(key);
  }
  override async getVersioned(key: string) {
    this.counts.get += 1;
    return super.getVersioned(key);
  }
  override async put(key: string, body: Uint8Array | string) {
    this.counts.put += 1;
    return super.put(key, body);
  }
  override async putIfMatch(key: string, body: Uint8Array | string, ifMatch: string | null) {
    // One request whether it wins or not (the base class writes through put()).
    const before = this.counts.put;
    const won = await super.putIfMatch(key, body, ifMatch);
    this.counts.put = before + 1;
    return won;
  }
  override async list(prefix: string) {
    this.counts.list += 1;
    return super.list(prefix);
  }
}

// Small enough to run fast, large enough that every page shard holds devices.
const layout = { shards: 8, historyShards: 32, contextHours: 48 };
const DEVICES = 400;
const ids = Array.from({ length: DEVICES }, (_, i) => `sensor-${String(i).padStart(5, '0')}`);
const event = (key: string) => ({ Records: [{ s3: { object: { key } } }] });

const deliver = async (store: CountingStore, at: number, seq: number) => {
  const key = await putRawObject(
    store,
    at,
    ids.map((deviceId) => rawLine({ deviceId, ts: at - 30_000, seq, receivedAt: at - 1_000 })),
  );
  return key;
};

describe('hot-path requests: the model against the code', () => {
  it('counts a steady delivery, an hourly shard rollup, a forecast and a dashboard read', async () => {
    // Prepare: an hour of pages and a first rollup, so the state is steady.
    const store = new CountingStore('lake');
    const now = { at: T0 + 10 * 60_000 };
    const deps = { store, layout, now: () => now.at };
    await updateContext(event(await deliver(store, now.at, 1)), deps);
    for (let shard = 0; shard < layout.shards; shard++) {
      await rollupShard(shard, { late: new Set() }, deps, now.at);
    }
    const model = hotPathRequests(layout, DEVICES);

    // Act 1: a delivery later in the same hour (the raw object's own PUT is Firehose's): the
    // first one checks the summaries of the shards it touches once, the next ones do not.
    now.at += 60_000;
    const first = await deliver(store, now.at, 2);
    store.reset();
    await updateContext(event(first), deps);
    const checked = { ...store.counts };
    now.at += 60_000;
    const key = await deliver(store, now.at, 3);
    store.reset();
    const result = await updateContext(event(key), deps);
    const delivery = { ...store.counts };

    // Act 2: one shard's hourly advance, once the first hour stopped being live (the current
    // and the previous hour are live): it folds that one page, as every hour does.
    now.at += 2 * HOUR;
    store.reset();
    await rollupShard(0, { late: new Set() }, deps, now.at);
    const rollup = { ...store.counts };

    // Act 3: with every shard advanced, a forecast's context read and a dashboard's fleet read.
    for (let shard = 1; shard < layout.shards; shard++) {
      await rollupShard(shard, { late: new Set() }, deps, now.at);
    }
    // Each minute of the hour, with a cold reader: the next hour's page is read only once a
    // reading stamped ahead could be in it.
    const hour = floorHour(now.at);
    const forecasts: number[] = [];
    const dashboards: number[] = [];
    for (let minute = 0; minute < 60; minute++) {
      const at = hour + minute * 60_000;
      store.reset();
      await createContextReader(store, layout, { now: () => at }).deviceContext(ids[0] as string);
      forecasts.push(store.counts.get + store.counts.list);
      store.reset();
      await createContextReader(store, layout, { now: () => at }).fleet();
      dashboards.push(store.counts.get + store.counts.list);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

    // Assess
    expect(result.rollups).toBe(0);
    expect(delivery.get).toBeCloseTo(model.perDelivery.get, 6);
    // The hour's check, at most once per shard: the setup's first delivery advanced (and so
    // knows) 4 shards (the default budget), the next delivery reads the other 4 summaries.
    expect(checked.get - delivery.get).toBe((layout.shards - 4) * model.perShardHourCheck.get);
    expect(delivery.put).toBeCloseTo(model.perDelivery.put, 6);
    expect(delivery.list).toBe(0);
    expect(rollup).toEqual(model.perShardHour);
    // The history, the previous and the current hour; the next one from minute 45 on.
    expect(forecasts[0]).toBe(3);
    expect(forecasts[59]).toBe(4);
    expect(mean(forecasts)).toBeCloseTo(model.perForecast.get, 10);
    expect(mean(dashboards)).toBeCloseTo(model.perDashboard.get, 10);
  });
});

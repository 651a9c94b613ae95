// bench:context — what one Firehose delivery of one minute of readings costs the hot path, for
// the per-device layout update-context wrote before (context/<deviceId>.json, bench/
// legacy-context.ts) and the sharded one (core/context-shards.ts), in the same run: S3 requests
// per delivery, seconds per delivery (CPU + an in-memory store: S3 latency excluded), bytes per
// object, the forecast's GET bytes, and the monthly S3 request bill at 15-minute and 1-minute
// readings (one delivery a minute; the sharded layout adds its hourly rollup). The delivery is
// gzip, as Firehose writes raw/, so both layouts pay the gunzip.
// Object sizes are measured on full windows (contextHours of history); the timed state holds
// --warm-hours of history per device, so that 100k devices fit in memory.
// Prints progress to stderr and one JSON document to stdout.
import { parseArgs } from 'node:util';
import {
  type ContextHistory,
  type ContextLayout,
  type ContextPage,
  type FleetSummaryShard,
  type HistoryEntry,
  historyShardOf,
  mergeIntoPage,
  pageShardOf,
  summaryOf,
  withPages,
} from '../core/context-shards.js';
import { floorHour, HOUR_MS } from '../core/device-context.js';
import {
  contextHistoryKey,
  contextPageKey,
  firehoseObjectKey,
  fleetSummaryKey,
} from '../core/lake.js';
import type { VersionedObject } from '../core/ports.js';
import { GZIP_KEY_SUFFIX, gzipRawBody, rawObjectText } from '../core/raw-object.js';
import type { Reading } from '../core/telemetry.js';
import { MemoryObjectStore } from '../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../functions/common/context-reader.js';
import { rollupShard } from '../functions/update-context/rollup.js';
import { readingsOfObject, updateContext } from '../functions/update-context/update-context.js';
import { loadStageParams } from '../local/stage-params.js';
import { legacyContextKey, mergeReadings, updateDeviceLegacy } from './legacy-context.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000,10000,100000' },
    'warm-hours': { type: 'string', default: '6' },
    /** The per-device layout is run up to this fleet size (it writes one object per device). */
    'legacy-max': { type: 'string', default: '100000' },
    'devices-per-history-shard': { type: 'string', default: '16' },
  },
});
const log = (m: string) => console.error(`[bench:context] ${m}`);

const PUT_PER_1K = 0.005; // PUT, COPY, POST, LIST
const GET_PER_1K = 0.0004; // GET and all other requests
const DELIVERIES_PER_MONTH = 60 * 24 * 30; // one delivery a minute
const HOURS_PER_MONTH = 24 * 30;

const params = loadStageParams();
const contextHours = Number(params.contextHours);
const shards = Number(params.contextShards);
const warmHours = Number(values['warm-hours']);
const perHistoryShard = Number(values['devices-per-history-shard']);

/** A MemoryObjectStore that counts requests by S3 price tier and the bytes moved. */
class CountingStore extends MemoryObjectStore {
  gets = 0;
  puts = 0;
  lists = 0;
  deletes = 0;
  bytesRead = 0;
  bytesWritten = 0;
  reset() {
    this.gets = this.puts = this.lists = this.deletes = this.bytesRead = this.bytesWritten = 0;
  }
  /** Writes without counting (the benchmark's own setup). */
  seed(key: string, value: unknown) {
    return super.put(key, JSON.stringify(value));
  }
  override async get(key: string) {
    this.gets += 1;
    const body = await super.get(key);
    this.bytesRead += body?.length ?? 0;
    return body;
  }
  override async getVersioned(key: string): Promise<VersionedObject | undefined> {
    this.gets += 1;
    const out = await super.getVersioned(key);
    this.bytesRead += out?.body.length ?? 0;
    return out;
  }
  private conditional = false;
  override async put(key: string, body: Uint8Array | string) {
    if (!this.conditional) {
      this.puts += 1;
      this.bytesWritten += typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    }
    return super.put(key, body);
  }
  /** One PUT request whether it wins or loses its condition. */
  override async putIfMatch(key: string, body: Uint8Array | string, ifMatch: string | null) {
    this.puts += 1;
    this.bytesWritten += typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    this.conditional = true;
    try {
      return await super.putIfMatch(key, body, ifMatch);
    } finally {
      this.conditional = false;
    }
  }
  override async list(prefix: string) {
    this.lists += 1;
    return super.list(prefix);
  }
  override async delete(key: string) {
    this.deletes += 1;
    return super.delete(key);
  }
  counts() {
    return {
      get: this.gets,
      put: this.puts,
      list: this.lists,
      delete: this.deletes,
      bytesRead: this.bytesRead,
      bytesWritten: this.bytesWritten,
    };
  }
}

type Counts = ReturnType<CountingStore['counts']>;
const dollars = (c: Pick<Counts, 'get' | 'put' | 'list'>) =>
  ((c.put + c.list) * PUT_PER_1K + c.get * GET_PER_1K) / 1000;

const NOW = floorHour(Date.UTC(2026, 11, 2, 12)) + 30 * 60_000;
const HOUR = floorHour(NOW);
const deviceId = (i: number) => `dev-${String(i).padStart(6, '0')}`;

const reading = (id: string, ts: number, seq: number): Reading => ({
  deviceId: id,
  ts,
  seq,
  lat: 39.9,
  lon: 116.4,
  o3: 41.5,
  pm25: 12.25,
  pm10: 30.5,
  co: 0.75,
  so2: 4.5,
  no2: 20.25,
});

/** Readings of one device every `stepMinutes` over [from, to). */
const readingsOver = (id: string, from: number, to: number, stepMinutes: number): Reading[] => {
  const out: Reading[] = [];
  const step = stepMinutes * 60_000;
  for (let ts = from, seq = from / step; ts < to; ts += step, seq++) out.push(reading(id, ts, seq));
  return out;
};

const bytesOf = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/** Full-window sizes of one device in each layout (a reading every `stepMinutes`). */
const fullWindowBytes = (stepMinutes: number) => {
  const id = deviceId(0);
  const from = HOUR - (contextHours - 1) * HOUR_MS;
  const readings = readingsOver(id, from, NOW, stepMinutes);
  const legacy = bytesOf(mergeReadings(undefined, readings, contextHours, NOW));
  const byHour = new Map<number, Reading[]>();
  for (const r of readings)
    byHour.set(floorHour(r.ts), [...(byHour.get(floorHour(r.ts)) ?? []), r]);
  const pages = [...byHour].map(([hour, rs]) => mergeIntoPage(undefined, hour, rs, NOW).page);
  const pageEntry = bytesOf(pages.at(-2)?.devices[id]);
  const entry = withPages(
    undefined,
    id,
    pages.filter((page) => page.hour < HOUR - HOUR_MS),
    contextHours,
  );
  return {
    legacyPerDevice: legacy,
    pageBytesPerDevice: pageEntry,
    historyBytesPerDevice: bytesOf(entry),
    summaryBytesPerDevice: entry ? bytesOf(summaryOf(entry)) + id.length + 4 : 0,
  };
};

/** The sharded layout's state at NOW: `warmHours` of history, the previous and current hour live. */
const seedSharded = async (
  store: CountingStore,
  n: number,
  layout: ContextLayout,
  step: number,
) => {
  const histories = new Map<number, ContextHistory>();
  const pagesByKey = new Map<string, ContextPage>();
  const summaries = new Map<number, FleetSummaryShard>();
  const through = HOUR - HOUR_MS;
  for (let i = 0; i < n; i++) {
    const id = deviceId(i);
    const shard = pageShardOf(id, layout);
    const h = historyShardOf(id, layout);
    const old = readingsOver(id, through - warmHours * HOUR_MS, through, step);
    const pages: ContextPage[] = [];
    for (let hour = through - warmHours * HOUR_MS; hour < through; hour += HOUR_MS) {
      pages.push(
        mergeIntoPage(
          undefined,
          hour,
          old.filter((r) => floorHour(r.ts) === hour),
          NOW,
        ).page,
      );
    }
    const entry = withPages(undefined, id, pages, contextHours) as HistoryEntry;
    const history = histories.get(h) ?? { v: 1, through, devices: {} };
    history.devices[id] = entry;
    histories.set(h, history);
    const summary = summaries.get(shard) ?? {
      v: 1,
      shard,
      through,
      updatedAt: NOW,
      devices: {},
    };
    summary.devices[id] = summaryOf(entry);
    summaries.set(shard, summary);
    for (const hour of [through, HOUR]) {
      const key = contextPageKey(shard, hour);
      const page = pagesByKey.get(key);
      const live = readingsOver(id, hour, Math.min(hour + HOUR_MS, NOW - 60_000), step);
      pagesByKey.set(key, mergeIntoPage(page, hour, live, NOW).page);
    }
  }
  for (const [h, history] of histories) await store.seed(contextHistoryKey(h), history);
  for (const [key, page] of pagesByKey) await store.seed(key, page);
  for (const [shard, summary] of summaries) await store.seed(fleetSummaryKey(shard), summary);
};

const seedLegacy = async (store: CountingStore, n: number, step: number) => {
  for (let i = 0; i < n; i++) {
    const id = deviceId(i);
    const readings = readingsOver(id, HOUR - warmHours * HOUR_MS, NOW - 60_000, step);
    await store.seed(legacyContextKey(id), mergeReadings(undefined, readings, contextHours, NOW));
  }
};

/** The raw object of the minute before NOW: devices whose turn it is (every `step` minutes). */
const deliveryOf = (n: number, step: number): { text: string; count: number } => {
  const lines: string[] = [];
  const ts = NOW - 60_000;
  for (let i = 0; i < n; i++) {
    if (step > 1 && i % step !== 0) continue; // a 15-minute fleet: one device in 15 this minute
    const id = deviceId(i);
    const { seq, ...rest } = reading(id, ts, Math.floor(ts / (step * 60_000)) + 1);
    lines.push(
      JSON.stringify({
        ...rest,
        seq,
        ts: new Date(ts).toISOString(),
        receivedAt: ts + 500,
        topic: `smogcast/${id}/telemetry`,
      }),
    );
  }
  return { text: `${lines.join('\n')}\n`, count: lines.length };
};

const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> => {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
};

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

const runSharded = async (n: number, step: number) => {
  const historyShards = Math.max(shards, Math.ceil(n / perHistoryShard / shards) * shards);
  const layout: ContextLayout = { shards, historyShards, contextHours };
  const store = new CountingStore('lake');
  await seedSharded(store, n, layout, step);
  const raw = deliveryOf(n, step);
  // Gzip with a `.gz` key, as Firehose (CompressionFormat GZIP) delivers: the gunzip is timed.
  const rawKey = `${firehoseObjectKey('raw/', 'smogcast-raw', NOW, 'bench')}${GZIP_KEY_SUFFIX}`;
  await store.seed(rawKey, '');
  store.objects.set(rawKey, gzipRawBody(raw.text));
  store.reset();
  const delivery = await timed(() =>
    updateContext(
      { Records: [{ s3: { object: { key: rawKey } } }] },
      { store, layout, now: () => NOW },
    ),
  );
  const perDelivery = store.counts();
  // The hourly advance of one shard, one hour later (every shard does it once an hour).
  store.reset();
  const rollup = await timed(() =>
    rollupShard(0, { late: new Set() }, { store, layout }, NOW + HOUR_MS),
  );
  const perShardRollup = store.counts();
  // What a forecast reads for one device: its history shard and its shard's live pages.
  store.reset();
  await createContextReader(store, layout, { now: () => NOW }).deviceContext(deviceId(1));
  const forecast = store.counts();
  const pageKeys = [...store.objects.keys()].filter((k) => k.startsWith('context/pages/'));
  const pageBytes = pageKeys.map((k) => store.objects.get(k)?.length ?? 0);
  const monthly = {
    deliveries: dollars(perDelivery) * DELIVERIES_PER_MONTH,
    rollups: dollars(perShardRollup) * shards * HOURS_PER_MONTH,
  };
  return {
    layout,
    readings: raw.count,
    perDelivery: {
      ...perDelivery,
      seconds: round(delivery.seconds, 3),
      pages: delivery.value.pages,
      rollups: delivery.value.rollups,
    },
    hourlyRollupPerShard: { ...perShardRollup, seconds: round(rollup.seconds, 3) },
    bytesPerPageMax: Math.max(...pageBytes),
    forecastGet: { requests: forecast.get + forecast.list, bytes: forecast.bytesRead },
    monthlyRequestCost: round(monthly.deliveries + monthly.rollups, 2),
    perDeviceMonth: round((monthly.deliveries + monthly.rollups) / n, 5),
  };
};

const runLegacy = async (n: number, step: number) => {
  const store = new CountingStore('lake');
  await seedLegacy(store, n, step);
  const raw = deliveryOf(n, step);
  const gzipped = gzipRawBody(raw.text);
  store.reset();
  const delivery = await timed(async () => {
    for (const [id, readings] of readingsOfObject(rawObjectText(gzipped), NOW)) {
      await updateDeviceLegacy(id, readings, { store, contextHours }, NOW);
    }
  });
  const perDelivery = store.counts();
  store.reset();
  await store.get(legacyContextKey(deviceId(0)));
  const forecast = store.counts();
  const cost = dollars(perDelivery) * DELIVERIES_PER_MONTH;
  return {
    readings: raw.count,
    perDelivery: { ...perDelivery, seconds: round(delivery.seconds, 3) },
    forecastGet: { requests: 1, bytes: forecast.bytesRead },
    monthlyRequestCost: round(cost, 2),
    perDeviceMonth: round(cost / n, 5),
  };
};

const main = async () => {
  const fleets = String(values.devices).split(',').map(Number);
  const legacyMax = Number(values['legacy-max']);
  const sizes = { '15min': fullWindowBytes(15), '1min': fullWindowBytes(1) };
  log(`full-window bytes per device: ${JSON.stringify(sizes)}`);
  const results = [];
  for (const n of fleets) {
    for (const [name, step] of [
      ['15min', 15],
      ['1min', 1],
    ] as const) {
      log(`${n} devices, ${name} readings: sharded layout…`);
      const sharded = await runSharded(n, step);
      log(`  ${JSON.stringify(sharded)}`);
      let legacy: Awaited<ReturnType<typeof runLegacy>> | null = null;
      if (n <= legacyMax) {
        log(`${n} devices, ${name} readings: per-device layout…`);
        legacy = await runLegacy(n, step);
        log(`  ${JSON.stringify(legacy)}`);
      }
      const size = sizes[name];
      const devicesPerPage = n / shards;
      const devicesPerHistory = n / sharded.layout.historyShards;
      results.push({
        devices: n,
        readings: name,
        sharded: {
          ...sharded,
          fullWindow: {
            bytesPerPage: Math.round(devicesPerPage * size.pageBytesPerDevice),
            bytesPerHistory: Math.round(devicesPerHistory * size.historyBytesPerDevice),
            bytesPerSummary: Math.round(devicesPerPage * size.summaryBytesPerDevice),
            forecastGetBytes: Math.round(
              devicesPerHistory * size.historyBytesPerDevice +
                2 * devicesPerPage * size.pageBytesPerDevice,
            ),
          },
        },
        perDevice: legacy && {
          ...legacy,
          fullWindow: {
            bytesPerObject: size.legacyPerDevice,
            forecastGetBytes: size.legacyPerDevice,
          },
        },
      });
    }
  }
  console.log(
    JSON.stringify(
      {
        params: { contextHours, contextShards: shards, warmHours, perHistoryShard },
        prices: {
          putPer1k: PUT_PER_1K,
          getPer1k: GET_PER_1K,
          deliveriesPerMonth: DELIVERIES_PER_MONTH,
        },
        fullWindowBytesPerDevice: sizes,
        results,
      },
      null,
      2,
    ),
  );
};

await main();

import { describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { createContextReader } from '../../../../functions/common/context-reader.js';
import { makeHandler } from '../../../../functions/update-context/handler.js';
import { unwrapQueueBatch } from '../../../../functions/update-context/queue-event.js';
import { updateContext } from '../../../../functions/update-context/update-context.js';
import { HOUR, putRawObject, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

const layout = { shards: 2, historyShards: 4, contextHours: 48 };

const s3Body = (...keys: string[]) =>
  JSON.stringify({ Records: keys.map((key) => ({ s3: { object: { key } } })) });

const queueEvent = (...bodies: string[]) => ({
  Records: bodies.map((body, i) => ({ messageId: `m${i}`, body, eventSource: 'aws:sqs' })),
});

describe('unwrapQueueBatch', () => {
  it('takes the S3 records of every message in order and names the messages that hold none', () => {
    // Act
    const { event, skipped } = unwrapQueueBatch(
      queueEvent(
        s3Body('raw/a', 'raw/b'),
        JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
        'not json',
        JSON.stringify({ hello: 1 }),
        s3Body('raw/c'),
      ),
    );

    // Assess
    expect(event.Records.map((r) => r.s3.object.key)).toEqual(['raw/a', 'raw/b', 'raw/c']);
    expect(skipped).toEqual([
      { messageId: 'm1', reason: 's3:TestEvent' },
      { messageId: 'm2', reason: 'body is not JSON' },
      { messageId: 'm3', reason: 'body is not an S3 event notification' },
    ]);
  });

  it('passes a plain S3 event through', () => {
    const plain = { Records: [{ s3: { object: { key: 'raw/x' } } }] };
    expect(unwrapQueueBatch(plain)).toEqual({ event: plain, skipped: [] });
  });
});

describe('update-context on a batch of deliveries', () => {
  it('merges every delivery of a queue batch and folds each late shard once', async () => {
    // Prepare: a backfill — three deliveries, each with hours long past the live window.
    const store = new MemoryObjectStore('lake');
    const keys: string[] = [];
    for (let d = 0; d < 3; d++) {
      keys.push(
        await putRawObject(store, T0 + 10 * HOUR + d, [
          rawLine({ ts: T0 + d * HOUR, seq: 2 * d + 1, values: { o3: 10 * (d + 1) } }),
          rawLine({ deviceId: 'sim-002', ts: T0 + d * HOUR, seq: 2 * d + 2, values: { o3: d } }),
        ]),
      );
    }
    const now = () => T0 + 10 * HOUR;
    const handler = makeHandler({ store, layout, now });

    // Act: one invocation with the three messages, as the SQS event source batches them.
    const batched = await handler(queueEvent(...keys.map((k) => s3Body(k))) as never, {} as never);

    // Assess: the same context as three separate invocations, with fewer rollups.
    const separate = new MemoryObjectStore('lake');
    let separateRollups = 0;
    for (const key of keys) {
      const bytes = await store.get(key);
      if (!bytes) throw new Error(`missing ${key}`);
      await separate.put(key, bytes);
      separateRollups += (
        await updateContext(
          { Records: [{ s3: { object: { key } } }] },
          {
            store: separate,
            layout,
            now,
          },
        )
      ).rollups;
    }
    expect(batched.readings).toBe(6);
    expect(batched.devices).toEqual(['sim-001', 'sim-002']);
    const shardsTouched = new Set((await store.list('context/summary/')).map((k) => k)).size;
    expect(batched.rollups).toBe(shardsTouched);
    expect(separateRollups).toBeGreaterThan(batched.rollups);
    for (const id of ['sim-001', 'sim-002']) {
      const one = await createContextReader(store, layout, { now }).deviceContext(id);
      const many = await createContextReader(separate, layout, { now }).deviceContext(id);
      expect(one).toEqual(many);
    }
  });

  it('writes a page once per batch however many objects touch it, or per budget of raw bytes', async () => {
    // Prepare: two deliveries of the same device and hour.
    const store = new MemoryObjectStore('lake');
    const keys = [
      await putRawObject(store, T0 + 10 * HOUR, [rawLine({ ts: T0, seq: 1, values: { o3: 10 } })]),
      await putRawObject(store, T0 + 10 * HOUR, [
        rawLine({ ts: T0 + 60_000, seq: 2, values: { o3: 30 } }),
      ]),
    ];
    const now = () => T0 + 10 * HOUR;
    const event = { Records: keys.map((key) => ({ s3: { object: { key } } })) };

    const copy = new MemoryObjectStore('lake');
    for (const key of keys) await copy.put(key, (await store.get(key)) ?? '');

    // Act
    const together = await updateContext(event, { store, layout, now });
    const apart = await updateContext(event, { store: copy, layout, now, mergeBudgetBytes: 1 });

    // Assess: one page write for the batch, one per object past the budget; same context.
    expect(together).toMatchObject({ readings: 2, pages: 1 });
    expect(apart).toMatchObject({ readings: 2, pages: 2 });
    expect(await createContextReader(copy, layout, { now }).deviceContext('sim-001')).toEqual(
      await createContextReader(store, layout, { now }).deviceContext('sim-001'),
    );
    const context = await createContextReader(store, layout, { now }).deviceContext('sim-001');
    expect(context?.lastReadingAt).toBe(T0 + 60_000);
  });
});

describe('the hourly advance', () => {
  it('reaches every shard, also the ones a budget left out when their hour began', async () => {
    // Prepare: 8 page shards, 2 advanced per invocation; readings of many devices each hour.
    const wide = { shards: 8, historyShards: 16, contextHours: 48 };
    const store = new MemoryObjectStore('lake');
    const delivery = async (hour: number, minute: number) =>
      putRawObject(
        store,
        T0 + hour * HOUR + minute * 60_000,
        Array.from({ length: 64 }, (_, d) =>
          rawLine({
            deviceId: `dev-${d}`,
            ts: T0 + hour * HOUR + minute * 60_000,
            seq: hour * 60 + minute,
            values: { o3: d },
          }),
        ),
      );
    const run = async (hour: number, minute: number) => {
      const key = await delivery(hour, minute);
      const now = () => T0 + hour * HOUR + minute * 60_000 + 30_000;
      return updateContext(
        { Records: [{ s3: { object: { key } } }] },
        { store, layout: wide, now, rollupBudget: 2 },
      );
    };

    // Act: hour 0, then four deliveries in hour 2 (hour 1 stopped being live at 2:00).
    await run(0, 0);
    const rollups: number[] = [];
    for (const minute of [0, 1, 2, 3, 4]) rollups.push((await run(2, minute)).rollups);

    // Assess: 2 shards per invocation until all 8 have advanced, then none.
    expect(rollups).toEqual([2, 2, 2, 2, 0]);
    const summaries = await store.list('context/summary/');
    expect(summaries).toHaveLength(8);
    for (const key of summaries) {
      const summary = JSON.parse(new TextDecoder().decode(await store.get(key)));
      expect(summary.through).toBe(T0 + HOUR);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { isGzip, rawObjectText } from '../../../core/raw-object.js';
import { decodeText } from '../../../core/text.js';
import { MemoryObjectStore } from '../../../functions/common/adapters/memory-object-store.js';
import { type FirehoseOptions, LocalFirehose } from '../../../local/firehose.js';

const ARRIVAL = Date.parse('2026-11-25T09:08:07Z');

/** A delivery stream into `raw/` whose buffer flushes only when asked, unless told otherwise. */
const firehoseInto = (store: FirehoseOptions['store'], options: Partial<FirehoseOptions> = {}) =>
  new LocalFirehose({
    store,
    streamName: 's',
    prefix: 'raw/',
    bufferBytes: 1_000_000,
    bufferIntervalMs: 60_000,
    ...options,
  });

const bodyOf = async (store: MemoryObjectStore, key: string | undefined) =>
  decodeText((await store.get(key ?? '')) ?? new Uint8Array());

describe('local Firehose delivery', () => {
  it('writes one newline-delimited object per batch under the Firehose key layout', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const firehose = firehoseInto(store, { streamName: 'smogcast-raw', now: () => ARRIVAL });
    // Act
    firehose.put('{"a":1}');
    firehose.put('{"a":2}');
    await firehose.flush();
    // Assess
    const keys = await store.list('raw/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      /^raw\/2026\/11\/25\/09\/smogcast-raw-1-2026-11-25-09-08-07-[0-9a-f-]{36}$/,
    );
    expect(await bodyOf(store, keys[0])).toBe('{"a":1}\n{"a":2}\n');
    expect(firehose.delivered).toBe(2);
  });

  it('with compression GZIP writes a gzip object whose key ends in .gz, as the stream does', async () => {
    // Prepare
    const store = new MemoryObjectStore();
    const intents: Array<{ key: string; body: string | Uint8Array }> = [];
    const firehose = firehoseInto(store, {
      streamName: 'smogcast-raw',
      compression: 'GZIP',
      now: () => ARRIVAL,
      beforeDeliver: async (key, body) => {
        intents.push({ key, body });
      },
    });
    // Act
    firehose.put('{"a":1}');
    firehose.put('{"a":2}');
    await firehose.flush();
    // Assess: the key layout plus .gz; the bytes stored are the bytes the journal was told.
    const keys = await store.list('raw/');
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      /^raw\/2026\/11\/25\/09\/smogcast-raw-1-2026-11-25-09-08-07-[0-9a-f-]{36}\.gz$/,
    );
    const stored = (await store.get(keys[0] ?? '')) ?? new Uint8Array();
    expect(isGzip(stored)).toBe(true);
    expect(rawObjectText(stored)).toBe('{"a":1}\n{"a":2}\n');
    expect(intents).toHaveLength(1);
    expect(intents[0]?.key).toBe(keys[0]);
    expect(Buffer.from(intents[0]?.body ?? '').equals(Buffer.from(stored))).toBe(true);
  });

  it('flushes by itself when the size hint is reached', async () => {
    const store = new MemoryObjectStore();
    const firehose = firehoseInto(store, { bufferBytes: 20 });
    firehose.put('{"payload":"0123456789"}');
    await firehose.flush();
    firehose.put('{"b":1}');
    expect(firehose.buffered).toBe(1);
    await firehose.flush();
    expect(await store.list('raw/')).toHaveLength(2);
  });

  it('keeps a batch the store refused and delivers it on the next flush', async () => {
    // Prepare: a store that fails every put until healed.
    const store = new MemoryObjectStore();
    let healthy = false;
    const flaky = Object.assign(Object.create(store), {
      put: async (key: string, body: string) => {
        if (!healthy) throw new Error('store down');
        return store.put(key, body);
      },
    });
    const errors: unknown[] = [];
    const firehose = firehoseInto(flaky, { retryBaseMs: 1, onError: (e) => errors.push(e) });
    firehose.put('{"keep":"me"}');
    // Act
    await firehose.flush();
    healthy = true;
    await firehose.flush();
    // Assess
    expect(errors).toHaveLength(1);
    const keys = await store.list('raw/');
    expect(keys).toHaveLength(1);
    expect(await bodyOf(store, keys[0])).toBe('{"keep":"me"}\n');
  });

  it('makes room() wait while flushed batches beyond maxPendingBytes are not stored yet', async () => {
    // Prepare: a store whose PUTs wait for a gate.
    const store = new MemoryObjectStore();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const slow: FirehoseOptions['store'] = Object.assign(Object.create(store), {
      put: async (key: string, body: string) => {
        await gate;
        await store.put(key, body);
      },
    });
    const firehose = firehoseInto(slow, { bufferBytes: 10, maxPendingBytes: 20 });
    let roomy = false;

    // Act: three full buffers are flushed while the first PUT waits.
    for (let i = 0; i < 3; i++) firehose.put(`{"n":${i}, "pad":"x"}`);
    const room = firehose.room().then(() => {
      roomy = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = roomy;
    open();
    await room;
    await firehose.flush();

    // Assess
    expect(before).toBe(false);
    expect(roomy).toBe(true);
    expect(await store.list('raw/')).toHaveLength(3);
  });
});

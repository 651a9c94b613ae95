import { describe, expect, it } from 'vitest';
import { gzipRawBody } from '../../../../core/raw-object.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { readJsonOrUndefined } from '../../../../functions/common/read-json.js';

describe('readJsonOrUndefined', () => {
  it('reads a plain and a gzip JSON object alike; missing or broken is undefined', async () => {
    // Prepare
    const store = new MemoryObjectStore('lake');
    await store.put('a.json', '{"v":1}');
    await store.put('b.json.gz', gzipRawBody('{"v":1}'));
    await store.put('broken.json', '{"v":');
    // Act + Assess
    expect(await readJsonOrUndefined(store, 'a.json')).toEqual({ v: 1 });
    expect(await readJsonOrUndefined(store, 'b.json.gz')).toEqual({ v: 1 });
    expect(await readJsonOrUndefined(store, 'broken.json')).toBeUndefined();
    expect(await readJsonOrUndefined(store, 'missing.json')).toBeUndefined();
  });
});

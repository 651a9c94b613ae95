// Listings of more than 10,000 keys through the real SDK: every key exactly once, in S3's
// (UTF-8 byte) order, across pages of ListObjectsV2 continuation tokens and ListObjects (V1)
// markers, with and without a delimiter, with start-after and url encoding.
import {
  ListObjectsCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  type ListObjectsV2CommandOutput,
  paginateListObjectsV2,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUCKET,
  failure,
  putKeys,
  type StoreFixture,
  startStore,
  utf8Order,
} from './store-fixture.js';

const HOURS = 24;
const PER_HOUR = 430; // 10,320 raw objects
const DEVICES = 150;

const rawKeys = Array.from({ length: HOURS * PER_HOUR }, (_, i) => {
  const hour = String(Math.floor(i / PER_HOUR)).padStart(2, '0');
  return `raw/2026/11/25/${hour}/smogcast-telemetry-1-2026-11-25-${hour}-${String(i).padStart(6, '0')}`;
});
const contextKeys = Array.from(
  { length: DEVICES },
  (_, i) => `context/dev-${String(i).padStart(4, '0')}.json`,
);
// Keys whose UTF-16 order differs from S3's UTF-8 order (U+FF5E vs U+1F600), and characters
// that need escaping in XML and in URLs.
const oddKeys = [
  'odd/\u{ff5e}',
  'odd/\u{1f600}',
  'odd/a&b<c>"d\'',
  'odd/space here+plus',
  'odd/ü/x',
  'top-level.txt',
];
const allKeys = [...rawKeys, ...contextKeys, ...oddKeys].sort(utf8Order);

let store: StoreFixture;

beforeAll(async () => {
  store = await startStore();
  await putKeys(store.sdk, [...rawKeys, ...contextKeys, ...oddKeys]);
}, 300_000);

afterAll(() => store?.close());

const listAllV2 = async (input: Omit<ListObjectsV2CommandInput, 'Bucket'>) => {
  const pages: ListObjectsV2CommandOutput[] = [];
  for await (const page of paginateListObjectsV2(
    { client: store.sdk },
    { Bucket: BUCKET, ...input },
  ))
    pages.push(page);
  return {
    pages,
    keys: pages.flatMap((p) => (p.Contents ?? []).map((c) => c.Key as string)),
    prefixes: pages.flatMap((p) => (p.CommonPrefixes ?? []).map((c) => c.Prefix as string)),
  };
};

describe('ListObjectsV2 past 10,000 keys', () => {
  it('returns every key once, in UTF-8 order, over 1,000-key pages', async () => {
    // Act
    const { pages, keys } = await listAllV2({});
    // Assess
    expect(allKeys.length).toBeGreaterThan(10_000);
    expect(keys).toEqual(allKeys);
    expect(pages).toHaveLength(Math.ceil(allKeys.length / 1000));
    expect(pages.slice(0, -1).every((p) => p.KeyCount === 1000 && p.IsTruncated)).toBe(true);
    expect(pages.at(-1)?.IsTruncated).toBe(false);
    expect(keys.indexOf('odd/\u{ff5e}')).toBeLessThan(keys.indexOf('odd/\u{1f600}'));
  });

  it('rolls keys up into common prefixes at the root, as `aws s3 ls` shows them', async () => {
    // Act
    const { keys, prefixes } = await listAllV2({ Delimiter: '/' });
    // Assess
    expect(prefixes).toEqual(['context/', 'odd/', 'raw/']);
    expect(keys).toEqual(['top-level.txt']);
  });

  it('pages through common prefixes and keys under a prefix with a small max-keys', async () => {
    // Act: 24 hour folders, 7 at a time.
    const hours = await listAllV2({ Prefix: 'raw/2026/11/25/', Delimiter: '/', MaxKeys: 7 });
    const odd = await listAllV2({ Prefix: 'odd/', Delimiter: '/', MaxKeys: 1 });
    // Assess
    expect(hours.prefixes).toEqual(
      Array.from({ length: HOURS }, (_, h) => `raw/2026/11/25/${String(h).padStart(2, '0')}/`),
    );
    expect(hours.pages).toHaveLength(Math.ceil(HOURS / 7));
    expect(hours.keys).toEqual([]);
    expect([...odd.keys, ...odd.prefixes].sort(utf8Order)).toEqual(
      ['odd/\u{ff5e}', 'odd/\u{1f600}', 'odd/a&b<c>"d\'', 'odd/space here+plus', 'odd/ü/'].sort(
        utf8Order,
      ),
    );
  });

  it('lists one hour folder of 430 objects and starts after a key', async () => {
    // Act
    const hour = await listAllV2({ Prefix: 'raw/2026/11/25/07/', MaxKeys: 100 });
    const after = await listAllV2({ StartAfter: allKeys[10_000] });
    // Assess
    expect(hour.keys).toEqual(rawKeys.filter((k) => k.startsWith('raw/2026/11/25/07/')));
    expect(hour.pages).toHaveLength(5);
    expect(after.keys).toEqual(allKeys.slice(10_001));
  });

  it('url-encodes keys when asked (encoding-type=url) and rejects a forged token', async () => {
    // Act
    const encoded = await store.sdk.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'odd/', EncodingType: 'url' }),
    );
    const forged = await failure(
      store.sdk.send(
        new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: 'bm90LWEtdG9rZW4=' }),
      ),
    );
    // Assess: the SDK hands back what S3 sent; decoding gives the keys.
    expect(encoded.EncodingType).toBe('url');
    expect(encoded.Contents?.map((c) => c.Key)).toContain('odd/space%20here%2Bplus');
    expect(encoded.Contents?.map((c) => decodeURIComponent(c.Key as string))).toEqual(
      allKeys.filter((k) => k.startsWith('odd/')),
    );
    expect(forged).toEqual({ name: 'InvalidArgument', status: 400 });
  });
});

describe('ListObjects (V1) past 10,000 keys', () => {
  const listAllV1 = async (delimiter?: string, prefix?: string) => {
    const keys: string[] = [];
    const prefixes: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const page = await store.sdk.send(
        new ListObjectsCommand({
          Bucket: BUCKET,
          Marker: marker,
          Delimiter: delimiter,
          Prefix: prefix,
          MaxKeys: delimiter ? 2 : 1000,
        }),
      );
      pages++;
      const pageKeys = (page.Contents ?? []).map((c) => c.Key as string);
      keys.push(...pageKeys);
      prefixes.push(...(page.CommonPrefixes ?? []).map((c) => c.Prefix as string));
      if (!page.IsTruncated) break;
      // With a delimiter S3 sends NextMarker; without, the client resumes after the last key.
      marker = delimiter ? page.NextMarker : pageKeys.at(-1);
      expect(marker).toBeDefined();
      expect(pages).toBeLessThan(100);
    }
    return { keys, prefixes, pages };
  };

  it('returns every key once over marker pages', async () => {
    // Act
    const { keys, pages } = await listAllV1();
    // Assess
    expect(keys).toEqual(allKeys);
    expect(pages).toBe(Math.ceil(allKeys.length / 1000));
  });

  it('resumes after a common prefix with NextMarker', async () => {
    // Act: two entries a page: [context/, odd/], [raw/, top-level.txt].
    const { keys, prefixes, pages } = await listAllV1('/');
    // Assess
    expect(prefixes).toEqual(['context/', 'odd/', 'raw/']);
    expect(keys).toEqual(['top-level.txt']);
    expect(pages).toBe(2);
  });
});

describe('a restarted store', () => {
  it('lists the same keys after a restart (the index is rebuilt from disk)', async () => {
    // Act
    await store.restart();
    const { keys } = await listAllV2({});
    // Assess
    expect(keys).toEqual(allKeys);
  });
});

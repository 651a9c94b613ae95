// The aws CLI (Debian's awscli, installed by .ci/run) against the local store, as a user points
// it at 127.0.0.1: `aws s3 ls` of the bucket root and of raw/ (delimiter listings, paged past
// 1,000 entries) and `aws s3 ls --recursive` print every key; `aws s3 cp` of a 20 MB file up
// (multipart) and down gives the same bytes.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUCKET,
  CREDENTIALS,
  putKeys,
  type StoreFixture,
  startStore,
  utf8Order,
} from './store-fixture.js';

const AWS = process.env.AWS_CLI_BIN ?? '/usr/bin/aws';
const run = promisify(execFile);

const HOURS = 3;
const PER_HOUR = 700; // 2,100 raw objects: more than two 1,000-key pages
const DEVICES = 1_100;

const rawKeys = Array.from({ length: HOURS * PER_HOUR }, (_, i) => {
  const hour = String(10 + Math.floor(i / PER_HOUR));
  return `raw/2026/11/25/${hour}/smogcast-telemetry-${String(i).padStart(5, '0')}`;
});
const contextKeys = Array.from(
  { length: DEVICES },
  (_, i) => `context/dev-${String(i).padStart(4, '0')}.json`,
);
// Root-level keys so that the root listing mixes prefixes and objects across pages.
const rootKeys = Array.from({ length: 1_050 }, (_, i) => `notes-${String(i).padStart(4, '0')}.txt`);

let store: StoreFixture;

/** Runs the CLI with fake credentials and no configuration file, against the local store. */
const aws = async (...args: string[]): Promise<string> => {
  const { stdout } = await run(AWS, [...args, '--endpoint-url', store.server.url], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: store.dir,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
    },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 120_000,
  });
  return stdout;
};

/** The names `aws s3 ls` prints: the last column ("PRE x/" lines give "x/"). */
const names = (out: string): string[] =>
  out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) =>
      line.trim().startsWith('PRE ')
        ? line.trim().slice(4)
        : line.trim().split(/\s+/).slice(3).join(' '),
    );

beforeAll(async () => {
  store = await startStore();
  await putKeys(store.sdk, [...rawKeys, ...contextKeys, ...rootKeys]);
}, 300_000);

afterAll(() => store?.close());

describe('the aws CLI against the local store', () => {
  it('lists the bucket root: every prefix and every object, across pages', async () => {
    // Act
    const out = await aws('s3', 'ls', `s3://${BUCKET}/`);
    // Assess
    expect(names(out).sort(utf8Order)).toEqual(['context/', 'raw/', ...rootKeys].sort(utf8Order));
  });

  it('lists raw/ and one hour folder with a delimiter', async () => {
    // Act
    const raw = await aws('s3', 'ls', `s3://${BUCKET}/raw/`);
    const hour = await aws('s3', 'ls', `s3://${BUCKET}/raw/2026/11/25/11/`);
    const context = await aws('s3', 'ls', `s3://${BUCKET}/context/`);
    // Assess
    expect(names(raw)).toEqual(['2026/']);
    expect(names(hour)).toEqual(
      rawKeys.filter((k) => k.includes('/11/25/11/')).map((k) => k.split('/').at(-1)),
    );
    expect(names(context)).toHaveLength(DEVICES);
  });

  it('lists every key with --recursive', async () => {
    // Act
    const out = await aws('s3', 'ls', `s3://${BUCKET}/`, '--recursive');
    // Assess
    expect(names(out)).toEqual([...rawKeys, ...contextKeys, ...rootKeys].sort(utf8Order));
  });

  it('copies a 20 MB file up (multipart) and down unchanged', async () => {
    // Prepare
    const file = join(store.dir, 'upload.bin');
    const back = join(store.dir, 'download.bin');
    const data = randomBytes(20 * 1024 * 1024);
    await writeFile(file, data);
    // Act
    await aws('s3', 'cp', file, `s3://${BUCKET}/uploads/upload.bin`);
    await aws('s3', 'cp', `s3://${BUCKET}/uploads/upload.bin`, back);
    const head = await store.sdk.send(
      new HeadObjectCommand({ Bucket: BUCKET, Key: 'uploads/upload.bin' }),
    );
    // Assess: the CLI uploaded in parts (8 MB each), and the bytes came back the same.
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(head.ContentLength).toBe(data.length);
    expect((await readFile(back)).equals(data)).toBe(true);
  });
});

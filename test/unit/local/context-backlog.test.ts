import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3EventRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContextBacklog } from '../../../local/context-backlog.js';

const event = (key: string) => [{ s3: { object: { key } } }] as unknown as S3EventRecord[];
const keyOf = (records: S3EventRecord[]) => records[0]?.s3.object.key;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smogcast-backlog-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('ContextBacklog', () => {
  it('processes events one at a time, in order', async () => {
    const seen: string[] = [];
    const backlog = new ContextBacklog({
      file: join(dir, 'backlog.json'),
      work: async (records) => {
        seen.push(keyOf(records) ?? '');
      },
      onError: () => undefined,
    });
    for (const key of ['raw/a', 'raw/b', 'raw/c']) backlog.add(event(key));
    await backlog.idle();
    expect(seen).toEqual(['raw/a', 'raw/b', 'raw/c']);
    expect(backlog.done).toBe(3);
    expect(backlog.pending).toBe(0);
  });

  it('on suspend finishes the event in progress, saves the rest, and a new backlog processes them', async () => {
    // Prepare: the first event blocks until released.
    const file = join(dir, 'backlog.json');
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = new ContextBacklog({
      file,
      work: async (records) => {
        if (keyOf(records) === 'raw/a') await gate;
        seen.push(keyOf(records) ?? '');
      },
      onError: () => undefined,
    });
    for (const key of ['raw/a', 'raw/b', 'raw/c']) first.add(event(key));

    await new Promise((resolve) => setTimeout(resolve, 0)); // raw/a is now in progress

    // Act
    const suspended = first.suspend();
    release();
    const saved = await suspended;
    first.add(event('raw/d')); // an event after the stop began is saved too

    // Assess
    expect(saved).toBe(2);
    expect(seen).toEqual(['raw/a']);
    expect((JSON.parse(readFileSync(file, 'utf8')) as S3EventRecord[][]).map(keyOf)).toEqual([
      'raw/b',
      'raw/c',
      'raw/d',
    ]);
    const next = new ContextBacklog({
      file,
      work: async (records) => {
        seen.push(keyOf(records) ?? '');
      },
      onError: () => undefined,
    });
    expect(next.replay()).toBe(3);
    await next.idle();
    expect(seen).toEqual(['raw/a', 'raw/b', 'raw/c', 'raw/d']);
    expect(existsSync(file)).toBe(false);
  });

  it('reports a failed update and goes on with the next', async () => {
    const errors: unknown[] = [];
    const backlog = new ContextBacklog({
      file: join(dir, 'backlog.json'),
      work: async (records) => {
        if (keyOf(records) === 'raw/bad') throw new Error('boom');
      },
      onError: (error) => errors.push(error),
    });
    backlog.add(event('raw/bad'));
    backlog.add(event('raw/good'));
    await backlog.idle();
    expect(errors).toHaveLength(1);
    expect(backlog.done).toBe(1);
    expect(backlog.pending).toBe(0);
  });

  it('hands the events waiting behind an invocation to the next one, up to the batch size', async () => {
    // Prepare: the first invocation blocks while five more events arrive.
    const batches: string[][] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const backlog = new ContextBacklog({
      file: join(dir, 'backlog.json'),
      batchSize: 3,
      work: async (records) => {
        if (keyOf(records) === 'raw/a') await gate;
        batches.push(records.map((r) => r.s3.object.key));
      },
      onError: () => undefined,
    });
    for (const key of ['raw/a', 'raw/b', 'raw/c', 'raw/d', 'raw/e', 'raw/f'])
      backlog.add(event(key));

    // Act
    release();
    await backlog.idle();

    // Assess
    expect(batches).toEqual([['raw/a'], ['raw/b', 'raw/c', 'raw/d'], ['raw/e', 'raw/f']]);
    expect(backlog.done).toBe(6);
    expect(backlog.batches).toBe(3);
    expect(backlog.pending).toBe(0);
  });

  it('refuses an unreadable saved backlog with a message naming the file', () => {
    const file = join(dir, 'backlog.json');
    writeFileSync(file, 'not json');
    const backlog = new ContextBacklog({
      file,
      work: async () => undefined,
      onError: () => undefined,
    });
    expect(() => backlog.replay()).toThrow(/backlog\.json/);
  });
});

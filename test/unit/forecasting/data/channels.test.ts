import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readChannel } from '../../../../forecasting/data/channels.js';

describe('readChannel', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smogcast-channel-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads plain and gzipped JSON Lines in name order, normalising gaps to null', async () => {
    // Prepare
    await mkdir(join(dir, 'nested'));
    await writeFile(
      join(dir, 'b.json'),
      '{"start":"2024-01-01 00:00:00","target":[1,"NaN"],"cat":[0,1]}\n\n',
    );
    await writeFile(
      join(dir, 'nested', 'a.json.gz'),
      gzipSync('{"start":"2024-01-02 00:00:00","target":[null,2]}\n'),
    );
    await writeFile(join(dir, 'categories.csv'), 'device,index\n');

    // Act
    const channel = await readChannel(dir);

    // Assess
    expect(channel?.files).toEqual(['b.json', join('nested', 'a.json.gz')]);
    expect(channel?.skipped).toEqual(['categories.csv']);
    expect(channel?.series.map((s) => s.target)).toEqual([
      [1, null],
      [null, 2],
    ]);
  });

  it('returns undefined for a channel that was not provided', async () => {
    // Act + Assess
    expect(await readChannel(join(dir, 'absent'))).toBeUndefined();
  });
});

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readChannel } from '../../../../forecasting/data/channels.js';
import { tempDirPerTest } from '../../temp-dir.js';

describe('readChannel', () => {
  const tempDir = tempDirPerTest('smogcast-channel-');

  it('reads plain and gzipped JSON Lines in name order, normalising gaps to null', async () => {
    // Prepare
    const dir = tempDir();
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
    const dir = tempDir();
    // Act + Assess
    expect(await readChannel(join(dir, 'absent'))).toBeUndefined();
  });
});

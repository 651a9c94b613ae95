import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, parseSegment } from '../../../local/journal.js';
import { tempDirPerTest } from '../temp-dir.js';

const dir = tempDirPerTest('smogcast-journal-');

describe('parseSegment', () => {
  it('keeps complete entries of both streams and drops a torn last line', () => {
    const entries = parseSegment('r{"a":1}\ne{"b":2}\nr{"c":', 4);
    expect(entries).toEqual([
      { stream: 'raw', line: '{"a":1}', segment: 4 },
      { stream: 'errors', line: '{"b":2}', segment: 4 },
    ]);
  });
});

describe('Journal', () => {
  it('replays what was appended and never released, after the process is gone', async () => {
    // Prepare: two appends, one released, then the journal is abandoned without close().
    const { journal } = await Journal.open({ dir: dir(), durability: 'process' });
    const first = await journal.append({ stream: 'raw', line: '{"n":1}' });
    await journal.append({ stream: 'errors', line: '{"n":2}' });
    journal.release(first);
    // Act
    const reopened = await Journal.open({ dir: dir() });
    // Assess: both entries come back (release only counts; the segment is still open)
    expect(reopened.replay.map((e) => e.line)).toEqual(['{"n":1}', '{"n":2}']);
    expect(reopened.journal.undelivered).toBe(2);
    await reopened.journal.close();
    await journal.close();
  });

  it('group-commits concurrent appends into one segment and deletes it once everything is released', async () => {
    // Prepare
    const { journal, replay } = await Journal.open({ dir: dir(), segmentBytes: 64 });
    expect(replay).toEqual([]);
    // Act: 50 concurrent appends, then enough to seal the first segment
    const segments = await Promise.all(
      Array.from({ length: 50 }, (_, i) => journal.append({ stream: 'raw', line: `{"i":${i}}` })),
    );
    const later = await journal.append({ stream: 'raw', line: '{"later":true}' });
    // Assess
    expect(new Set(segments).size).toBe(1);
    expect(later).not.toBe(segments[0]);
    expect(journal.undelivered).toBe(51);
    journal.release(segments[0] as number, 50);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await readdir(dir())).length).toBe(1);
    journal.release(later);
    await journal.close();
    expect(await readdir(dir())).toEqual([]);
    expect((await Journal.open({ dir: dir() })).replay).toEqual([]);
  });

  it('starts a fresh segment once everything written is stored, so a crash then replays nothing', async () => {
    // Prepare
    const { journal } = await Journal.open({ dir: dir() });
    const segment = await journal.append({ stream: 'raw', line: '{"stored":true}' });
    // Act: stored, then the process dies without close()
    journal.release(segment);
    await journal.append({ stream: 'raw', line: '{"pending":true}' });
    const reopened = await Journal.open({ dir: dir() });
    // Assess
    expect(reopened.replay.map((e) => e.line)).toEqual(['{"pending":true}']);
    await reopened.journal.close();
    await journal.close();
  });

  it('removes empty segments left by a crash and continues numbering after the last one', async () => {
    await writeFile(join(dir(), 'segment-0000000007.log'), 'r{"torn":');
    const { journal, replay } = await Journal.open({ dir: dir() });
    expect(replay).toEqual([]);
    expect(await journal.append({ stream: 'raw', line: '{}' })).toBe(8);
    await journal.close();
  });

  it('refuses appends after close', async () => {
    const { journal } = await Journal.open({ dir: dir() });
    await journal.close();
    await expect(journal.append({ stream: 'raw', line: '{}' })).rejects.toMatchObject({
      name: 'JournalClosedError',
    });
  });
});

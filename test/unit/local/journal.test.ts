import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bodyDigest, type EntryId, Journal, parseSegment } from '../../../local/journal.js';
import { tempDirPerTest } from '../temp-dir.js';

const dir = tempDirPerTest('smogcast-journal-');

/** What the Firehose twin does for one batch: intent, PUT (elsewhere), then delivered. */
const deliver = async (
  journal: Journal,
  key: string,
  ids: EntryId[],
  stream: 'raw' | 'errors' = 'raw',
) => {
  await journal.intend(key, `body of ${key}\n`, ids);
  journal.delivered(key, stream, ids);
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('parseSegment', () => {
  it('keeps complete entries of both streams, named by line, and drops a torn last line', () => {
    const entries = parseSegment('r{"a":1}\ne{"b":2}\nr{"c":', 4);
    expect(entries).toEqual([
      { stream: 'raw', line: '{"a":1}', id: { segment: 4, index: 0 } },
      { stream: 'errors', line: '{"b":2}', id: { segment: 4, index: 1 } },
    ]);
  });
});

describe('Journal', () => {
  it('replays after a crash only the entries no stored batch holds', async () => {
    // Prepare: five appends, a batch of three stored, then the process dies (no close()).
    const { journal } = await Journal.open({ dir: dir(), durability: 'process' });
    const ids = [];
    for (let n = 0; n < 5; n++)
      ids.push(await journal.append({ stream: 'raw', line: `{"n":${n}}` }));
    await deliver(journal, 'raw/batch-1', [ids[0], ids[2], ids[4]] as EntryId[]);
    await settle();
    // Act
    const reopened = await Journal.open({ dir: dir() });
    // Assess
    expect(reopened.replay.map((e) => e.line)).toEqual(['{"n":1}', '{"n":3}']);
    expect(reopened.journal.undelivered).toBe(2);
    expect(reopened.journal.counts).toEqual({
      received: 5,
      stored: 3,
      errors: 0,
      refused: 0,
      unmatched: 0,
      unparsed: 0,
    });
    await reopened.journal.close();
  });

  it('settles a batch a crash cut short between intent and acknowledgement by asking the store', async () => {
    // Prepare: two batches intended, neither recorded as done (the crash came first).
    const { journal } = await Journal.open({ dir: dir() });
    const a = await journal.append({ stream: 'raw', line: '{"a":1}' });
    const b = await journal.append({ stream: 'errors', line: '{"b":1}' });
    await journal.intend('raw/stored', 'stored body\n', [a]);
    await journal.intend('errors/cut-short', 'cut short body\n', [b]);
    const stored = new Map([
      ['raw/stored', bodyDigest('stored body\n')],
      // the object exists but is not the whole body: not delivered
      ['errors/cut-short', bodyDigest('cut')],
    ]);
    const asked: string[] = [];
    // Act
    const reopened = await Journal.open({
      dir: dir(),
      confirm: async (intent) => {
        asked.push(intent.key);
        return stored.get(intent.key) === intent.digest;
      },
    });
    // Assess
    expect(asked.sort()).toEqual(['errors/cut-short', 'raw/stored']);
    expect(reopened.replay.map((e) => e.line)).toEqual(['{"b":1}']);
    expect(reopened.journal.counts).toEqual({
      received: 2,
      stored: 1,
      errors: 0,
      refused: 0,
      unmatched: 0,
      unparsed: 0,
    });
    await reopened.journal.close();
  });

  it('keeps received and stored counts across restarts, once per record, as segments come and go', async () => {
    // Prepare: tiny segments, so stored segments are folded into the checkpoint and deleted
    let opened = await Journal.open({ dir: dir(), segmentBytes: 40 });
    for (let round = 0; round < 3; round++) {
      const ids = [];
      for (let n = 0; n < 4; n++) {
        ids.push(
          await opened.journal.append({
            stream: n === 3 ? 'errors' : 'raw',
            line: `{"r":${round},"n":${n}}`,
          }),
        );
      }
      await deliver(opened.journal, `raw/${round}`, ids.slice(0, 3));
      await deliver(opened.journal, `errors/${round}`, ids.slice(3), 'errors');
      // one more, journaled and never delivered before the "crash"
      await opened.journal.append({ stream: 'raw', line: `{"r":${round},"late":true}` });
      await settle();
      // Act: crash (no close) and restart; the replayed entry is delivered by the new run
      opened = await Journal.open({ dir: dir(), segmentBytes: 40 });
      expect(opened.replay).toHaveLength(1);
      await deliver(
        opened.journal,
        `raw/replay-${round}`,
        opened.replay.map((e) => e.id),
      );
    }
    await settle();
    // Assess: 5 received per round; nothing counted twice though every round replayed
    expect(opened.journal.counts).toEqual({
      received: 15,
      stored: 12,
      errors: 3,
      refused: 0,
      unmatched: 0,
      unparsed: 0,
    });
    expect(opened.journal.undelivered).toBe(0);
    await opened.journal.close();
    const final = await Journal.open({ dir: dir() });
    expect(final.replay).toEqual([]);
    expect(final.journal.counts).toEqual({
      received: 15,
      stored: 12,
      errors: 3,
      refused: 0,
      unmatched: 0,
      unparsed: 0,
    });
    await final.journal.close();
    expect((await readdir(dir())).sort()).toEqual(['counters.json', 'deliveries.log']);
    expect(await readFile(join(dir(), 'deliveries.log'), 'utf8')).toBe('');
  });

  it('counts protocol notices durably: across a crash, and once folded with their segment', async () => {
    // Prepare: notices between entries, so entry ids (line numbers) must skip their lines
    let opened = await Journal.open({ dir: dir(), segmentBytes: 40 });
    const first = await opened.journal.append({ stream: 'raw', line: '{"n":1}' });
    await Promise.all([opened.journal.count('refused'), opened.journal.count('unmatched')]);
    await opened.journal.count('unmatched');
    await opened.journal.count('unparsed');
    const second = await opened.journal.append({ stream: 'raw', line: '{"n":2}' });
    await deliver(opened.journal, 'raw/0', [first]);
    await settle();
    // Act: crash (no close) and restart
    opened = await Journal.open({ dir: dir(), segmentBytes: 40 });
    // Assess: the undelivered entry replayed under its own id, the notices counted, not replayed
    expect(opened.replay.map((e) => [e.line, e.id])).toEqual([['{"n":2}', second]]);
    expect(opened.journal.counts).toEqual({
      received: 2,
      stored: 1,
      errors: 0,
      refused: 1,
      unmatched: 2,
      unparsed: 1,
    });
    // … and once everything is delivered, segments fold into counters.json with the notices
    await deliver(opened.journal, 'raw/1', [second]);
    await opened.journal.count('refused');
    await opened.journal.close();
    const final = await Journal.open({ dir: dir() });
    expect(final.replay).toEqual([]);
    expect(final.journal.counts).toEqual({
      received: 2,
      stored: 2,
      errors: 0,
      refused: 2,
      unmatched: 2,
      unparsed: 1,
    });
    await final.journal.close();
    expect((await readdir(dir())).sort()).toEqual(['counters.json', 'deliveries.log']);
    expect(JSON.parse(await readFile(join(dir(), 'counters.json'), 'utf8'))).toMatchObject({
      refused: 2,
      unmatched: 2,
      unparsed: 1,
    });
  });

  it('keeps a segment holding only notices, and reads a checkpoint written before notices were counted', async () => {
    // Prepare: an old-format checkpoint and a segment of notices a crash left
    await writeFile(
      join(dir(), 'counters.json'),
      '{"through":2,"received":7,"stored":6,"errors":1}\n',
    );
    await writeFile(join(dir(), 'segment-0000000003.log'), 'nrefused\nnunmatched\nnunparsed\nnunm');
    // Act
    const { journal, replay } = await Journal.open({ dir: dir() });
    // Assess: the torn last line was never acknowledged, so it is not counted
    expect(replay).toEqual([]);
    expect(journal.counts).toEqual({
      received: 7,
      stored: 6,
      errors: 1,
      refused: 1,
      unmatched: 1,
      unparsed: 1,
    });
    await journal.close();
  });

  it('does not count again a segment already folded into the counters when a crash kept its file', async () => {
    // Prepare: the checkpoint says segment 3 is counted, yet its file is still there.
    await writeFile(
      join(dir(), 'counters.json'),
      '{"through":3,"received":7,"stored":6,"errors":1}\n',
    );
    await writeFile(join(dir(), 'segment-0000000003.log'), 'r{"old":1}\n');
    // Act
    const { journal, replay } = await Journal.open({ dir: dir() });
    // Assess: nothing replayed, the counts as checkpointed, new segments numbered after 3
    expect(replay).toEqual([]);
    expect(journal.counts).toEqual({
      received: 7,
      stored: 6,
      errors: 1,
      refused: 0,
      unmatched: 0,
      unparsed: 0,
    });
    expect((await journal.append({ stream: 'raw', line: '{}' })).segment).toBe(4);
    expect(journal.counts.received).toBe(8);
    await journal.close();
  });

  it('refuses a counters file that is not one, naming it', async () => {
    await writeFile(join(dir(), 'counters.json'), '{"received":"many"}');
    await expect(Journal.open({ dir: dir() })).rejects.toMatchObject({ name: 'CountersFileError' });
  });

  it('group-commits concurrent appends into one segment and deletes it once everything is stored', async () => {
    // Prepare
    const { journal, replay } = await Journal.open({ dir: dir(), segmentBytes: 64 });
    expect(replay).toEqual([]);
    // Act: 50 concurrent appends, then enough to seal the first segment
    const ids = await Promise.all(
      Array.from({ length: 50 }, (_, i) => journal.append({ stream: 'raw', line: `{"i":${i}}` })),
    );
    const later = await journal.append({ stream: 'raw', line: '{"later":true}' });
    // Assess
    expect(new Set(ids.map((id) => id.segment)).size).toBe(1);
    expect(ids.map((id) => id.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(later.segment).not.toBe(ids[0]?.segment);
    expect(journal.undelivered).toBe(51);
    await deliver(journal, 'raw/first', ids);
    await settle();
    expect((await readdir(dir())).filter((f) => f.startsWith('segment-'))).toHaveLength(1);
    await deliver(journal, 'raw/later', [later]);
    await journal.close();
    expect((await readdir(dir())).filter((f) => f.startsWith('segment-'))).toEqual([]);
    expect((await Journal.open({ dir: dir() })).replay).toEqual([]);
  });

  it('removes empty segments left by a crash and continues numbering after the last one', async () => {
    await writeFile(join(dir(), 'segment-0000000007.log'), 'r{"torn":');
    const { journal, replay } = await Journal.open({ dir: dir() });
    expect(replay).toEqual([]);
    expect(await journal.append({ stream: 'raw', line: '{}' })).toEqual({ segment: 8, index: 0 });
    await journal.close();
  });

  it('refuses appends and intents after close', async () => {
    const { journal } = await Journal.open({ dir: dir() });
    await journal.close();
    await expect(journal.append({ stream: 'raw', line: '{}' })).rejects.toMatchObject({
      name: 'JournalClosedError',
    });
    await expect(journal.intend('k', 'b', [])).rejects.toMatchObject({
      name: 'JournalClosedError',
    });
  });
});

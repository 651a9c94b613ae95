// The golden vectors (test/fixtures/lake/golden.json) against the TypeScript engine; the Glue
// job's Python functions are checked against the same file by glue/test_etl_rows.py.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CuratedBatch } from '../../../core/curated/batch.js';
import { parseRawLine, parseRawMessage } from '../../../core/curated/rows.js';
import { type EtlCheckpoint, quarantineKey } from '../../../core/curated/schema.js';
import { partitionDate } from '../../../core/lake.js';
import { advanceCheckpoint } from '../../../glue/twin/checkpoint.js';
import { parseRawBytes } from '../../../glue/twin/parse-object.js';

interface Golden {
  now: number;
  lines: Array<{ name: string; line: string; row?: object; dt?: string; reason?: string }>;
  dedupe: Array<{ name: string; lines: string[]; rows: object[]; duplicates: number }>;
  objects: Array<{
    name: string;
    base64: string;
    lines: number;
    rows: number;
    bad: Array<{ reason: string; line: string; bytes?: string }>;
  }>;
  batches: Array<{
    name: string;
    line: string;
    results: Array<{ row: object; dt: string } | { reason: string }>;
  }>;
  quarantineKeys: Array<[string, string]>;
  checkpoints: Array<{
    name: string;
    before: EtlCheckpoint;
    processed: string[];
    lateArrivalHours: number;
    after: EtlCheckpoint;
  }>;
}

const golden = JSON.parse(
  readFileSync(new URL('../../fixtures/lake/golden.json', import.meta.url), 'utf8'),
) as Golden;

const rowOf = (line: string) => {
  const result = parseRawLine(line, golden.now);
  if (!result.ok) throw new Error(result.reason);
  return result.row;
};

describe('golden vectors: TypeScript engine', () => {
  it.each(golden.lines.map((c) => [c.name, c] as const))('line: %s', (_name, c) => {
    // Act
    const result = parseRawLine(c.line, golden.now);

    // Assess
    if (c.reason !== undefined) {
      expect(result).toEqual({ ok: false, reason: c.reason });
    } else {
      expect(result).toEqual({ ok: true, row: c.row });
      if (result.ok) expect(partitionDate(result.row.ts)).toBe(c.dt);
    }
  });

  it.each(golden.batches.map((c) => [c.name, c] as const))('batch: %s', (_name, c) => {
    // Act
    const parsed = parseRawMessage(c.line, golden.now);

    // Assess
    const results = Array.isArray(parsed) ? parsed : [parsed];
    expect(results).toEqual(
      c.results.map((r) =>
        'reason' in r ? { ok: false, reason: r.reason } : { ok: true, row: r.row },
      ),
    );
    results.forEach((result, i) => {
      const want = c.results[i];
      if (result.ok && want && 'dt' in want) expect(partitionDate(result.row.ts)).toBe(want.dt);
    });
  });

  it('reads a single-reading line as one result, the same parseRawLine gives', () => {
    for (const c of golden.lines) {
      expect(parseRawMessage(c.line, golden.now)).toEqual(parseRawLine(c.line, golden.now));
    }
  });

  it.each(golden.dedupe.map((c) => [c.name, c] as const))('dedupe: %s', (_name, c) => {
    // Prepare
    const forward = new CuratedBatch(1);
    const backward = new CuratedBatch(1);
    const rows = c.lines.map(rowOf);
    for (const row of rows) forward.push(row);
    for (const row of [...rows].reverse()) backward.push(row);

    // Act
    const a = forward.dedupe();
    const b = backward.dedupe();

    // Assess
    expect(forward.toRows(a.order)).toEqual(c.rows);
    expect(a.duplicates).toBe(c.duplicates);
    expect(backward.toRows(b.order)).toEqual(c.rows);
  });

  it.each(golden.objects.map((c) => [c.name, c] as const))('object: %s', (_name, c) => {
    // Act
    const parsed = parseRawBytes(Buffer.from(c.base64, 'base64'), golden.now);

    // Assess
    expect(parsed.lines).toBe(c.lines);
    expect([...parsed.partitions.values()].reduce((n, b) => n + b.length, 0)).toBe(c.rows);
    expect(parsed.bad).toEqual(c.bad);
    // The quarantine keeps the very bytes of each undecodable line.
    const object = Buffer.from(c.base64, 'base64');
    for (const bad of parsed.bad.filter((b) => b.bytes !== undefined)) {
      expect(object.includes(Buffer.from(bad.bytes as string, 'base64'))).toBe(true);
    }
  });

  it('names quarantine objects after their raw object', () => {
    for (const [raw, expected] of golden.quarantineKeys) expect(quarantineKey(raw)).toBe(expected);
  });

  it.each(golden.checkpoints.map((c) => [c.name, c] as const))('checkpoint: %s', (_name, c) => {
    expect(advanceCheckpoint(c.before, c.processed, c.lateArrivalHours)).toEqual(c.after);
  });

  it('covers every reason family at least once', () => {
    const reasons = golden.lines.flatMap((c) => (c.reason ? [c.reason] : []));
    for (const family of [
      'not valid JSON',
      'not a JSON object',
      'receivedAt',
      'topic',
      'does not match topic',
      'expected string',
      'expected number',
      'expected int',
      'must not be negative',
      'must be at most',
      'Too big',
      'Too small',
      'not a valid date',
      'too far in the future',
      'is before 2000-01-01',
      'deeper than 32 levels',
    ]) {
      expect(reasons.some((r) => r.includes(family))).toBe(true);
    }
  });
});

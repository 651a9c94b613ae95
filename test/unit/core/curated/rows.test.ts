import { describe, expect, it } from 'vitest';
import { CuratedBatch } from '../../../../core/curated/batch.js';
import { parseRawLine } from '../../../../core/curated/rows.js';
import { HOUR, rawLine, T0 } from '../../../fixtures/lake/raw-lines.js';

describe('parseRawLine', () => {
  it('maps the legacy payload and takes the device id from the topic', () => {
    // Prepare
    const line = JSON.stringify({
      ozone: 3,
      timestamp: T0 / 1000,
      topic: 'smogcast/d1/telemetry',
      receivedAt: T0,
    });

    // Act
    const result = parseRawLine(line, 0);

    // Assess
    expect(result).toEqual({
      ok: true,
      row: expect.objectContaining({ deviceId: 'd1', ts: T0, o3: 3, receivedAt: T0 }),
    });
  });

  it('judges "too far in the future" against receivedAt, not the ETL clock', () => {
    // Act
    const late = parseRawLine(rawLine({ ts: T0 + 48 * HOUR, receivedAt: T0 }), T0 + 96 * HOUR);

    // Assess
    expect(late).toEqual({
      ok: false,
      reason: 'ts: 2026-11-27T00:00:00.000Z is too far in the future',
    });
  });

  it('rejects a topic that is not a telemetry topic and a mismatching device', () => {
    // Prepare
    const message = { deviceId: 'x', ts: '2026-11-25T00:00:00Z' };

    // Act
    const wrongTopic = parseRawLine(JSON.stringify({ ...message, topic: 'a/b' }), T0);
    const mismatch = parseRawLine(
      JSON.stringify({ ...message, topic: 'smogcast/y/telemetry' }),
      T0,
    );

    // Assess
    expect(wrongTopic).toEqual({ ok: false, reason: 'topic: a/b is not a telemetry topic' });
    expect(mismatch).toEqual({ ok: false, reason: 'deviceId x does not match topic device y' });
  });
});

const dedupe = (rows: Parameters<CuratedBatch['push']>[0][]) => {
  const batch = new CuratedBatch(2);
  for (const row of rows) batch.push(row);
  const { order, duplicates } = batch.dedupe();
  return { rows: batch.toRows(order), duplicates };
};

describe('CuratedBatch.dedupe', () => {
  it('gives the same rows whatever the input order', () => {
    // Prepare
    const rows = [
      rawLine({ ts: T0, seq: 1, receivedAt: T0 + 5 }),
      rawLine({ ts: T0, seq: 1, receivedAt: T0 + 1 }),
      rawLine({ deviceId: 'a', ts: T0 + 1 }),
    ].map((line) => {
      const result = parseRawLine(line, T0);
      if (!result.ok) throw new Error(result.reason);
      return result.row;
    });

    // Act
    const forward = dedupe(rows);
    const backward = dedupe([...rows].reverse());

    // Assess
    expect(forward).toEqual(backward);
    expect(forward.duplicates).toBe(1);
    expect(forward.rows.map((r) => [r.deviceId, r.receivedAt])).toEqual([
      ['a', T0 + 1_001],
      ['sim-001', T0 + 1],
    ]);
  });
});

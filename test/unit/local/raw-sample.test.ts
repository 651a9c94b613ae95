// The sample the cost model measures its bytes on: built with the agent's payload code and the
// rule's twin, deterministic, and the recommended batch really fits one 5 KB unit.
import { describe, expect, it } from 'vitest';
import {
  METERING_UNIT_BYTES,
  rawSample,
  recommendedReadingsPerMessage,
} from '../../../local/raw-sample.js';

describe('rawSample', () => {
  it('measures the same bytes on every run, and a gzip ratio below 1', () => {
    // Act
    const a = rawSample({ devices: 1000, readingMinutes: 15, readingsPerMessage: 1 });
    const b = rawSample({ devices: 1000, readingMinutes: 15, readingsPerMessage: 1 });
    // Assess
    expect(a).toEqual(b);
    expect(a.messages).toBe(a.readings);
    expect(a.gzipRatio).toBe(a.gzipBytes / a.rawBytes);
    expect(a.gzipRatio).toBeGreaterThan(0);
    expect(a.gzipRatio).toBeLessThan(1);
    // raw/ holds each message's payload plus the rule's bytes and a newline.
    expect(a.rawBytes).toBeCloseTo(
      a.readings * a.readingBytes + a.messages * (a.ruleAddedBytes + 1),
      6,
    );
  });

  it('batches readings as the agent does: the device id once per message', () => {
    const single = rawSample({ devices: 1000, readingMinutes: 1, readingsPerMessage: 1 });
    const batched = rawSample({ devices: 1000, readingMinutes: 1, readingsPerMessage: 15 });
    expect(batched.messages * 15).toBe(batched.readings);
    expect(batched.readingBytes).toBeLessThan(single.readingBytes);
    expect(batched.ruleAddedBytes).toBeCloseTo(single.ruleAddedBytes, 0);
  });
});

describe('recommendedReadingsPerMessage', () => {
  it('recommends a batch whose every sample message and record fits one 5 KB unit', () => {
    // Act
    const rec = recommendedReadingsPerMessage({
      devices: 10_000,
      readingMinutes: 1,
      firehoseBufferSeconds: 300,
    });
    const atRec = rawSample({
      devices: 10_000,
      readingMinutes: 1,
      readingsPerMessage: rec.readingsPerMessage,
    });
    const twice = rawSample({
      devices: 10_000,
      readingMinutes: 1,
      readingsPerMessage: 2 * rec.readingsPerMessage,
    });
    // Assess
    expect(rec.readingsPerMessage).toBeGreaterThan(1);
    expect(Math.max(rec.maxMessageBytes, rec.maxRecordBytes)).toBeLessThanOrEqual(
      METERING_UNIT_BYTES,
    );
    expect(atRec.maxRecordBytes).toBeLessThanOrEqual(rec.maxRecordBytes);
    expect(atRec.maxMessageBytes).toBeLessThanOrEqual(rec.maxMessageBytes);
    expect(twice.maxRecordBytes).toBeGreaterThan(METERING_UNIT_BYTES);
    expect(rec.readingsPerMessage).toBe(rec.fitsUnit); // 1-minute: the 5 KB unit binds
  });

  it('caps the batch so its oldest reading reaches its live page: 1 + (60 − 5) / 15 = 4', () => {
    const rec = recommendedReadingsPerMessage({
      devices: 10_000,
      readingMinutes: 15,
      firehoseBufferSeconds: 300,
    });
    expect(rec.liveCap).toBe(4);
    expect(rec.readingsPerMessage).toBe(Math.min(rec.fitsUnit, 4));
  });
});

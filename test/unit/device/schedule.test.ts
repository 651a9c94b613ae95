import { describe, expect, it } from 'vitest';
import { backfillTimestamps, nextSeq, SEQ_EPOCH_MS } from '../../../device/schedule.js';

const MIN = 60_000;

describe('backfillTimestamps', () => {
  it('covers the hours before now on the step grid, oldest first, ending at the last step', () => {
    // Act
    const times = backfillTimestamps(Date.UTC(2024, 4, 1, 12, 7, 30), 1, 15);

    // Assess
    expect(times).toEqual([
      Date.UTC(2024, 4, 1, 11, 15),
      Date.UTC(2024, 4, 1, 11, 30),
      Date.UTC(2024, 4, 1, 11, 45),
      Date.UTC(2024, 4, 1, 12, 0),
    ]);
  });

  it('is empty without backfill hours', () => {
    expect(backfillTimestamps(Date.now(), 0, 15)).toEqual([]);
  });

  it('lands on the same timestamps when replayed a little later', () => {
    const first = backfillTimestamps(Date.UTC(2024, 4, 1, 12, 1), 6, 15);
    const replay = backfillTimestamps(Date.UTC(2024, 4, 1, 12, 14), 6, 15);
    expect(replay).toEqual(first);
    expect(first).toHaveLength(24);
    expect((first[1] as number) - (first[0] as number)).toBe(15 * MIN);
  });
});

describe('nextSeq', () => {
  it('anchors the first seq to the reading time in seconds', () => {
    expect(nextSeq(undefined, SEQ_EPOCH_MS + 90_500)).toBe(90);
  });

  it('strictly increases even for readings less than a second apart', () => {
    const first = nextSeq(undefined, SEQ_EPOCH_MS + 1000);
    const second = nextSeq(first, SEQ_EPOCH_MS + 1100);
    expect(second).toBe(first + 1);
  });

  it('gives a restarted agent larger numbers than an earlier run at earlier times', () => {
    const earlierRun = nextSeq(nextSeq(undefined, SEQ_EPOCH_MS + 60_000), SEQ_EPOCH_MS + 120_000);
    const restarted = nextSeq(undefined, SEQ_EPOCH_MS + 180_000);
    expect(restarted).toBeGreaterThan(earlierRun);
  });
});

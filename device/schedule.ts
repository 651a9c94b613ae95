// When readings are due and how they are numbered: pure arithmetic shared by backfill and
// real time, kept apart from the MQTT wiring so it can be tested without a broker.

const MINUTE_MS = 60_000;
/** seq counts seconds from here; keeps it well inside a 32-bit integer until 2088. */
export const SEQ_EPOCH_MS = Date.UTC(2020, 0, 1);

/**
 * Timestamps of a backfill ending at `endMs`, oldest first, `stepMinutes` apart and aligned to
 * the step grid (so a replayed backfill hits the same timestamps and de-duplicates cleanly).
 */
export const backfillTimestamps = (
  endMs: number,
  backfillHours: number,
  stepMinutes: number,
): number[] => {
  const stepMs = stepMinutes * MINUTE_MS;
  const count = Math.floor((backfillHours * 60) / stepMinutes);
  const last = Math.floor(endMs / stepMs) * stepMs;
  return Array.from({ length: count }, (_, i) => last - (count - 1 - i) * stepMs);
};

/**
 * The next per-device sequence number. It is a counter anchored to the reading time (seconds
 * since SEQ_EPOCH_MS, bumped by one when readings are closer than a second) rather than a
 * counter from zero: a restarted agent must not reuse the seq of an earlier run, because the
 * lake de-duplicates on (deviceId, seq).
 */
export const nextSeq = (previous: number | undefined, tsMs: number): number => {
  const anchored = Math.max(0, Math.floor((tsMs - SEQ_EPOCH_MS) / 1000));
  return previous === undefined ? anchored : Math.max(previous + 1, anchored);
};

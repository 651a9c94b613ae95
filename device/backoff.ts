// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
// Jitter"): a device fleet that lost its broker must not come back in lockstep.

export interface BackoffPolicy {
  /** Upper bound of the first delay. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 30_000 };

/** The delay before retry number `attempt` (1-based): uniform in [0, min(max, base·2^(n-1))). */
export const backoffDelay = (
  attempt: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number => {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
};

// Bounds the publishes awaiting PUBACK on one connection, so a backfill of thousands of readings
// waits for the broker instead of piling up in the client's queue.

export class InFlightLimiter {
  private active = 0;
  private closed = false;
  private readonly waiting: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];

  constructor(readonly max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be ≥ 1, got ${max}`);
  }

  get inFlight(): number {
    return this.active;
  }

  /**
   * Resolves once a slot is free; the caller must `release()` it exactly once. After `close()`
   * it resolves at once, and the caller is expected to notice it is shutting down.
   */
  acquire(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) {
      // Hand the slot straight to the next waiter: `active` stays the same.
      next();
      return;
    }
    this.active--;
    if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Resolves when nothing is in flight and nobody waits for a slot (or once closed). */
  idle(): Promise<void> {
    if (this.active === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Gives up on the publishes still in flight (the broker never acknowledged them): wakes every
   * waiter so nothing stays blocked on a slot that will never be released.
   */
  close(): void {
    this.closed = true;
    this.active = 0;
    for (const resolve of this.waiting.splice(0)) resolve();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

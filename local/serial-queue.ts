// Runs async jobs one at a time, in order. Used where AWS would serialise for us (per-key
// read-modify-write of context objects, one retrain execution at a time).
// Not p-limit(1): it runs jobs the same way but has no idle(), which shutdown needs to wait for
// every queued job; on top of p-limit that would be this same bookkeeping again.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;

  run<T>(job: () => Promise<T>): Promise<T> {
    this.pending += 1;
    const next = this.tail.then(job, job);
    this.tail = next.then(
      () => this.pending--,
      () => this.pending--,
    );
    return next;
  }

  /** Resolves once every job queued so far has settled. */
  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }

  get size(): number {
    return this.pending;
  }
}

// The offline queue of one MQTT connection. Readings wait here until the broker acknowledges
// them (QoS 1 PUBACK): while the connection is down nothing is sent; a failed publish goes back
// to the front of the queue and sending pauses for an exponential, fully jittered delay.
// Bounded: beyond `maxQueued` readings in memory the overflow is spooled to a file (when a spool
// path is given — it also keeps what is left at stop for the next run), and beyond `maxSpooled`
// the newest readings are dropped and counted, never silently.
import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import type { DeviceConnection } from './connection.js';

export interface OutboxMessage {
  deviceId: string;
  topic: string;
  payload: string;
  /** Readings the message carries (a telemetry batch); 1 when absent. */
  readings?: number;
}

export interface OutboxOptions {
  connection: DeviceConnection;
  /** Publishes awaiting PUBACK at once. */
  maxInFlight: number;
  /** Readings kept in memory; more go to the spool file (or are dropped without one). */
  maxQueued: number;
  /** NDJSON file for the overflow and for what is left at stop; loaded again at start. */
  spoolPath?: string;
  /** Readings kept in the spool file at most. Default 1,000,000. */
  maxSpooled?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** First hand-over of a reading to MQTT (retries are not reported again). */
  onSent?: (message: OutboxMessage) => void;
  onAcked?: (message: OutboxMessage) => void;
  /** A publish failed; the reading is queued again. */
  onRetry?: (error: unknown, message: OutboxMessage) => void;
  /** A reading that could not be kept (queue and spool full). */
  onDropped?: (message: OutboxMessage) => void;
}

interface Entry extends OutboxMessage {
  sent?: boolean;
}

export class Outbox {
  private memory: Entry[] = [];
  private head = 0;
  private spooled = 0;
  private active = 0;
  private failures = 0;
  private pausedUntil = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly waiters: Array<() => void> = [];
  private readonly idleWaiters: Array<() => void> = [];
  private readonly maxSpooled: number;

  constructor(private readonly options: OutboxOptions) {
    this.maxSpooled = options.maxSpooled ?? 1_000_000;
    if (options.spoolPath && existsSync(options.spoolPath)) {
      this.spooled = readFileSync(options.spoolPath, 'utf8').split('\n').filter(Boolean).length;
    }
    options.connection.onStateChange(() => this.pump());
  }

  /** Readings waiting to be sent (memory and spool), not counting those in flight. */
  get queued(): number {
    return this.memory.length - this.head + this.spooled;
  }

  get inFlight(): number {
    return this.active;
  }

  enqueue(message: OutboxMessage): void {
    if (this.memory.length - this.head < this.options.maxQueued && this.spooled === 0) {
      this.memory.push(message);
    } else if (this.options.spoolPath && this.spooled < this.maxSpooled) {
      // FIFO: once anything is spooled, newer readings queue behind it on disk.
      appendFileSync(this.options.spoolPath, `${JSON.stringify(message)}\n`);
      this.spooled++;
    } else {
      this.options.onDropped?.(message);
      return;
    }
    this.pump();
  }

  /** Resolves when fewer than maxInFlight readings wait: lets a backfill follow the broker. */
  waitForRoom(): Promise<void> {
    if (this.closed || this.queued < this.options.maxInFlight) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when nothing is queued or in flight (or once closed). */
  idle(): Promise<void> {
    if (this.closed || (this.queued === 0 && this.active === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops sending. What is still queued or in flight is written to the spool file when there is
   * one (kept for the next run; a late PUBACK makes it a harmless duplicate) and returned as a
   * count; without a spool file it is returned as lost.
   */
  close(): { kept: number; lost: number } {
    if (this.closed) return { kept: 0, lost: 0 };
    this.closed = true;
    clearTimeout(this.resumeTimer);
    const left = this.memory.slice(this.head);
    const unacked = this.active;
    this.memory = [];
    this.head = 0;
    let kept = this.spooled;
    let lost = unacked;
    if (this.options.spoolPath && left.length > 0) {
      // Memory entries are older than the spooled ones: rewrite the file in FIFO order.
      const path = this.options.spoolPath;
      const older = left.map((m) => JSON.stringify(this.strip(m))).join('\n');
      const newer = existsSync(path) ? readFileSync(path, 'utf8') : '';
      rmSync(path, { force: true });
      appendFileSync(path, `${older}\n${newer}`);
      kept += left.length;
      this.spooled = kept;
    } else {
      for (const message of left) lost += message.readings ?? 1;
    }
    for (const resolve of this.waiters.splice(0)) resolve();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
    return { kept, lost };
  }

  private strip({ deviceId, topic, payload, readings }: Entry): OutboxMessage {
    return readings === undefined
      ? { deviceId, topic, payload }
      : { deviceId, topic, payload, readings };
  }

  private refillFromSpool(): void {
    const path = this.options.spoolPath;
    if (!path || this.spooled === 0) return;
    const lines = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
    rmSync(path, { force: true });
    this.spooled = 0;
    this.memory = this.memory.slice(this.head);
    this.head = 0;
    for (const line of lines) {
      try {
        this.memory.push(JSON.parse(line) as OutboxMessage);
      } catch {
        // A torn line from a crash mid-append was never acknowledged by anyone: skip it.
      }
    }
  }

  private pump(): void {
    this.drive();
    this.wake();
  }

  private drive(): void {
    if (this.closed || !this.options.connection.isConnected()) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      this.resumeTimer ??= setTimeout(() => {
        this.resumeTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    while (this.active < this.options.maxInFlight) {
      if (this.head >= this.memory.length) this.refillFromSpool();
      const entry = this.memory[this.head];
      if (entry === undefined) break;
      this.memory[this.head] = undefined as unknown as Entry;
      this.head++;
      if (this.head > 4096 && this.head * 2 > this.memory.length) {
        this.memory = this.memory.slice(this.head);
        this.head = 0;
      }
      this.send(entry);
    }
  }

  private send(entry: Entry): void {
    this.active++;
    if (!entry.sent) {
      entry.sent = true;
      this.options.onSent?.(entry);
    }
    this.options.connection.publish(entry.topic, entry.payload).then(
      () => {
        if (this.closed) return;
        this.active--;
        this.failures = 0;
        this.options.onAcked?.(entry);
        this.pump();
      },
      (error: unknown) => {
        if (this.closed) return;
        this.active--;
        this.failures++;
        // Back to the front: order is kept as far as a retry allows.
        if (this.head > 0) this.memory[--this.head] = entry;
        else this.memory.unshift(entry);
        this.pausedUntil =
          Date.now() +
          backoffDelay(this.failures, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
        this.options.onRetry?.(error, entry);
        this.pump();
      },
    );
  }

  private wake(): void {
    if (this.queued < this.options.maxInFlight) {
      for (const resolve of this.waiters.splice(0)) resolve();
    }
    if (this.queued === 0 && this.active === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }
}

// One progress line of `npm start` from two snapshots of the runtime's progress: what the
// ingestion, the delivery into raw/, the context updates and the retrain did in between.
// Nothing when nothing moved, so an idle runtime stays quiet.
import type { RuntimeProgress } from './runtime.js';

const rate = (delta: number, seconds: number) =>
  seconds > 0 ? `${(delta / seconds).toFixed(0)}/s` : '–';

export const progressLine = (
  before: RuntimeProgress,
  now: RuntimeProgress,
  seconds: number,
): string | undefined => {
  const parts: string[] = [];
  const received = now.received - before.received;
  const stored = now.stored - before.stored;
  if (received > 0 || stored > 0) {
    parts.push(
      `ingest: ${now.received} received (${rate(received, seconds)}), ${now.stored} delivered to raw/ (${rate(stored, seconds)}), ${now.errors} to errors/`,
    );
  }
  const contextDone = now.contextDone - before.contextDone;
  if (now.contextPending > 0 || contextDone > 0) {
    parts.push(
      `context: ${now.contextDone} deliveries applied (${rate(contextDone, seconds)}), ${now.contextPending} waiting`,
    );
  }
  if (now.retrain) {
    parts.push(
      `retrain ${now.retrain.runId}: in ${now.retrain.state} for ${now.retrain.seconds.toFixed(0)} s`,
    );
  }
  return parts.length > 0 ? parts.join(' | ') : undefined;
};

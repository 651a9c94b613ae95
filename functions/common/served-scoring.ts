// The scoring step wired for a runtime: update-context's hourly rollup calls it (the Lambda and
// the local runtime alike) with that function's own store.
import type { ObjectStore } from '../../core/ports.js';
import { HOUR_MS } from '../../core/realised-accuracy.js';
import type { Config } from './config.js';
import { createContextReader } from './context-reader.js';
import { logger } from './logger.js';
import { scoreServed } from './score-served.js';

/**
 * The realised-accuracy scoring step, run after an hourly rollup. Its failure is logged, not
 * thrown: the readings are in context/ already, and the next hour scores what this one missed.
 */
export const servedScoring = (store: ObjectStore, config: Config, now: () => number) => {
  const contexts = createContextReader(store, config.context, { now });
  // Rollups of late pages (a backfill) advance hours many times a minute; a start hour becomes
  // scorable only when the clock's hour turns, so one attempt per clock hour per instance.
  let attemptedHour = Number.NaN;
  return async () => {
    const hour = Math.floor(now() / HOUR_MS);
    if (hour === attemptedHour) return undefined;
    attemptedHour = hour;
    try {
      return await scoreServed({
        store,
        contexts,
        now,
        predictionLength: config.predictionLength,
        contextHours: config.contextHours,
      });
    } catch (error) {
      logger.warn('served-forecast scoring failed', { error: String(error) });
      return undefined;
    }
  };
};

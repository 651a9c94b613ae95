// A bounded training set at fleet scale: the global model learns one set of weights across
// series, so a seeded random sample of series trains it as well as all of them while memory
// stays bounded (at 10,000 devices × 6 metrics the whole train channel exhausted a 4 GB heap).
// A random sample, not a stride: series come ordered device by metric.
import { createRandom } from '../../core/random.js';

/** Series fitted at most (all of them below this). */
export const MAX_TRAINING_SERIES = 6_000;

export const sampleSeries = <T>(series: readonly T[], max: number, seed: number): T[] => {
  if (series.length <= max) return [...series];
  const random = createRandom(seed + 1);
  const picked = [...series];
  // Partial Fisher–Yates: the first `max` places hold a uniform sample, in a seeded order.
  for (let i = 0; i < max; i++) {
    const j = i + Math.floor(random() * (picked.length - i));
    [picked[i], picked[j]] = [picked[j] as T, picked[i] as T];
  }
  return picked.slice(0, max);
};

// Sampling for the engine's forecasts: sample paths must be reproducible from (model seed, request).
import { createRandom } from '../../core/random.js';

/** Standard normal via Box-Muller. */
export const normal = (random: () => number): number => {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
};

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export const normalCdf = (z: number): number => {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
};

/**
 * Sample paths through a forecast's marginal distributions: a Gaussian AR(1) copula with the
 * given step-to-step correlation, so neighbouring hours of a path move together, mapped through
 * each step's quantile function `at(step, probability)`. Seeded: the same seed, the same paths.
 */
export const samplePaths = (
  steps: number,
  count: number,
  seed: number,
  correlation: number,
  at: (step: number, probability: number) => number,
): number[][] => {
  const random = createRandom(seed);
  const innovation = Math.sqrt(1 - correlation ** 2);
  return Array.from({ length: count }, () => {
    let z = normal(random);
    return Array.from({ length: steps }, (_, step) => {
      if (step > 0) z = correlation * z + innovation * normal(random);
      return at(step, normalCdf(z));
    });
  });
};

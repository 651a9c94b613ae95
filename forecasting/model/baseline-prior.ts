// The step model of a horizon step the training data could not teach (a day or two of history
// holds no origin with an observation that far ahead): naive with random-walk bands. The point
// regression keeps only "last value", the spread is the instance's own recent hourly volatility
// (mean |Δz| over the last season), and the standardised errors are Laplace with the spread of a
// sum of h independent hourly moves. Pure numbers, in the artifact's usual step layout, so a
// model trained on one day is served (and loaded) like any other.
import { POINT_FEATURES, SCALE_FEATURES } from '../data/features.js';
import { GRID_SIZE } from './quantile-grid.js';

/** Standard deviation of a move over mean |move| for a normal variable: √(π / 2). */
const SD_PER_MEAN_ABS = Math.sqrt(Math.PI / 2);

/** Quantile `p` of a Laplace distribution with unit standard deviation. */
const laplaceQuantile = (p: number): number => {
  const b = 1 / Math.SQRT2;
  return p < 0.5 ? b * Math.log(2 * p) : -b * Math.log(2 * (1 - p));
};

/** Standardised error grid of step `h` (1-based) of a random walk. */
export const randomWalkGrid = (h: number): number[] =>
  Array.from(
    { length: GRID_SIZE },
    (_, i) => SD_PER_MEAN_ABS * Math.sqrt(h) * laplaceQuantile((i + 0.5) / GRID_SIZE),
  );

/** The step model of step `h`: naive point, volatility spread, random-walk grid. */
export const naiveStepModel = (h: number) => {
  const coef = Array.from({ length: POINT_FEATURES }, (_, i) => (i === 1 ? 1 : 0));
  const scaleCoef = Array.from({ length: SCALE_FEATURES }, (_, i) => (i === 1 ? 1 : 0));
  // exp(logVolatility) = volatility + 0.02: the range spans any volatility a series can have.
  const logScaleRange: [number, number] = [Math.log(0.02), Math.log(10)];
  return { coef, scaleCoef, logScaleRange, grid: randomWalkGrid(h) };
};

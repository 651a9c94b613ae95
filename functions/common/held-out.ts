// Scoring a served model on the newest held-out points of a run's series: the series' last
// `points` hours are the actuals, everything before them the context sent to the endpoint (to
// one production variant when asked). Shared by the drift check and the A/B scorer.
import {
  type DeepArInstance,
  encodeTarget,
  formatStart,
  type Series,
  startTime,
} from '../../core/deepar.js';
import { ForecastScorer, WQL_METRIC } from '../../core/forecast-scores.js';
import type { Categories } from '../../core/model-card.js';
import type { ModelEndpoint } from '../../core/ports.js';

export interface HeldOut {
  instance: DeepArInstance;
  actual: number[];
}

const SCORE_LEVELS = ['0.1', '0.5', '0.9'];
/** Instances per InvokeEndpoint call: keeps payloads far below the 6 MB limit. */
const BATCH = 25;

/**
 * The newest `points` hours of each series whose device the model knows, with the model's own
 * device index (a run's category map and a model's can differ).
 */
export const heldOutWindows = (
  series: Series[],
  runCategories: Categories,
  modelCategories: Categories,
  points: number,
): HeldOut[] => {
  const out: HeldOut[] = [];
  for (const s of series) {
    const device = runCategories.devices[s.cat?.[0] ?? -1];
    const deviceIndex = device === undefined ? -1 : modelCategories.devices.indexOf(device);
    const cut = s.target.length - points;
    if (deviceIndex < 0 || cut < 1) continue;
    // Gaps become NaN, which the scorer does not count.
    const actual = s.target.slice(cut).map((v) => v ?? Number.NaN);
    if (!actual.some(Number.isFinite)) continue;
    out.push({
      instance: {
        start: formatStart(startTime(s.start)),
        target: encodeTarget(s.target.slice(0, cut)),
        cat: [deviceIndex, s.cat?.[1] ?? 0],
      },
      actual,
    });
  }
  return out;
};

/** wQL (DeepAR's test:mean_wQuantileLoss) of the endpoint's forecasts on the windows. */
export const scoreWindows = async (
  windows: HeldOut[],
  endpoint: ModelEndpoint,
  variant?: string,
): Promise<number | null> => {
  const scorer = new ForecastScorer(SCORE_LEVELS);
  for (let i = 0; i < windows.length; i += BATCH) {
    const batch = windows.slice(i, i + BATCH);
    const { body } = await endpoint.invoke(
      {
        instances: batch.map((w) => w.instance),
        configuration: { output_types: ['mean', 'quantiles'], quantiles: SCORE_LEVELS },
      },
      variant,
    );
    batch.forEach((w, j) => {
      const p = body.predictions[j];
      w.actual.forEach((y, h) => {
        const quantiles: Record<string, number> = {};
        for (const level of SCORE_LEVELS)
          quantiles[level] = p?.quantiles?.[level]?.[h] ?? Number.NaN;
        scorer.add({ actual: y, mean: p?.mean?.[h] ?? Number.NaN, quantiles });
      });
    });
  }
  return scorer.metrics()[WQL_METRIC] ?? null;
};

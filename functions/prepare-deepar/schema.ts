// prepare-deepar's contract: the state machine's PrepareDeepAr payload in, the channel URIs out.
import { z } from 'zod';
import type { Metric } from '../../core/metrics.js';

export const PrepareInput = z.object({
  runId: z.string().min(1),
  startedAt: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 time'),
  predictionLength: z.coerce.number().int().min(1).max(720).default(24),
  // ASL's DefinitionSubstitutions hand this over as a string.
  historyDays: z.coerce.number().int().min(1).max(3660).default(28),
});
export type PrepareInput = z.infer<typeof PrepareInput>;

export interface PrepareOutput {
  /** `YYYYMMDD-HHmmss` of startedAt (UTC): names the training job and the model. */
  version: string;
  trainUri: string;
  testUri: string;
  series: number;
  /** Series with fewer than 2 × predictionLength hourly points, left out. */
  skipped: number;
  /**
   * Devices in the category map (categories.json has their ids): a count, never the list — this
   * is PrepareDeepAr's task result, which at fleet scale would be over Step Functions' 256 KiB
   * payload quota with every device's id in it.
   */
  deviceCount: number;
  /** Curated readings inside the history window. */
  rowsRead: number;
}

/** categories.json: position in each list = the DeepAR `cat` index. */
export interface Categories {
  devices: string[];
  metrics: Metric[];
}

/** Distribution of one metric's hourly training values (null when there are none). */
export interface MetricProfile {
  /** Hourly points with a value. */
  count: number;
  /** Share of hourly points that are gaps, within the emitted series. */
  missingShare: number;
  mean: number | null;
  std: number | null;
  p10: number | null;
  p50: number | null;
  p90: number | null;
  min: number | null;
  max: number | null;
  /** Quantiles of the hourly values by level ("0.01" … "0.99"); empty without values. */
  quantiles: Record<string, number>;
  histogram: Histogram;
}

/** Equal-width bins: counts[i] holds values in [edges[i], edges[i+1]) (last bin closed). */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/** profile.json: what the drift step compares between two trainings. */
export interface DataProfile {
  runId: string;
  /** Epoch ms of the first and one past the last hour of the history window. */
  windowStart: number;
  windowEnd: number;
  /** Series written, and series skipped for too few points. */
  series: number;
  skipped: number;
  metrics: Record<Metric, MetricProfile>;
}

// GET /forecast query contract: validated up front, every violation a 400 with a clear message.
import { z } from 'zod';
import { METRICS } from '../../core/metrics.js';

export const DEFAULT_QUANTILES = [0.1, 0.5, 0.9];
const MAX_QUANTILES = 19;

const quantileList = z
  .string()
  .max(200, 'quantiles: too long')
  .transform((raw, ctx) => {
    const parts = raw.split(',').map((p) => p.trim());
    const values: number[] = [];
    for (const part of parts) {
      const value = /^0?\.\d+$/.test(part) ? Number(part) : Number.NaN;
      if (!(value > 0 && value < 1)) {
        ctx.addIssue({
          code: 'custom',
          message: `quantile ${JSON.stringify(part)} is not in (0, 1)`,
        });
        return z.NEVER;
      }
      values.push(value);
    }
    if (values.length > MAX_QUANTILES) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_QUANTILES} quantiles` });
      return z.NEVER;
    }
    return [...new Set(values)].sort((a, b) => a - b);
  });

export const forecastQuerySchema = (predictionLength: number) =>
  z.object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'deviceId must be 1-128 of [A-Za-z0-9_.:-]'),
    metric: z.enum(METRICS, { message: `metric must be one of ${METRICS.join(', ')}` }),
    // One message for every out-of-range or non-integer value: it names the real range.
    horizon: z
      .string()
      .regex(/^-?\d{1,16}$/, `horizon must be an integer between 1 and ${predictionLength}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(1, `horizon must be between 1 and ${predictionLength}`)
          .max(predictionLength, `horizon must be between 1 and ${predictionLength}`),
      )
      .optional(),
    quantiles: quantileList.optional(),
  });

export type ForecastQuery = {
  deviceId: string;
  metric: (typeof METRICS)[number];
  horizon?: number;
  quantiles?: number[];
};

export interface ForecastResponse {
  deviceId: string;
  metric: string;
  freq: 'H';
  start: string;
  horizon: number;
  mean: number[];
  quantiles: Record<string, number[]>;
  model: { version: string; variant: string };
  generatedAt: string;
}

// GET /accuracy query contract: one device and metric, or the fleet (optionally one metric).
import { z } from 'zod';
import { METRICS } from '../../core/metrics.js';

export const DEFAULT_DAYS = 7;
export const MAX_DAYS = 30;

export const AccuracyQuery = z
  .object({
    deviceId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'deviceId must be 1-128 of [A-Za-z0-9_.:-]')
      .optional(),
    metric: z.enum(METRICS, { message: `metric must be one of ${METRICS.join(', ')}` }).optional(),
    days: z
      .string()
      .regex(/^\d{1,3}$/, `days must be an integer 1-${MAX_DAYS}`)
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(1, `days must be 1-${MAX_DAYS}`)
          .max(MAX_DAYS, `days must be 1-${MAX_DAYS}`),
      )
      .optional(),
  })
  .refine((q) => q.deviceId === undefined || q.metric !== undefined, {
    message: 'metric is required with deviceId',
    path: ['metric'],
  });
export type AccuracyQuery = z.infer<typeof AccuracyQuery>;

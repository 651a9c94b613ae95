// GET /devices query contract: no parameters lists the fleet; deviceId (+ hours, metric) asks
// for one device's recent hourly history.
import { z } from 'zod';
import { METRICS } from '../../core/metrics.js';

export const devicesQuerySchema = (maxHours: number) =>
  z
    .object({
      deviceId: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'deviceId must be 1-128 of [A-Za-z0-9_.:-]')
        .optional(),
      metric: z
        .enum(METRICS, { message: `metric must be one of ${METRICS.join(', ')}` })
        .optional(),
      hours: z
        .string()
        .regex(/^-?\d{1,16}$/, `hours must be an integer between 1 and ${maxHours}`)
        .transform(Number)
        .pipe(
          z
            .number()
            .int()
            .min(1, `hours must be between 1 and ${maxHours}`)
            .max(maxHours, `hours must be between 1 and ${maxHours}`),
        )
        .optional(),
    })
    .refine((q) => q.deviceId !== undefined || (q.metric === undefined && q.hours === undefined), {
      message: 'metric and hours need a deviceId',
    });

export const DEFAULT_HISTORY_HOURS = 72;

// GET /devices query contract: without deviceId, one page of the fleet (limit, cursor, q);
// deviceId (+ hours, metric) asks for one device's recent hourly history.
import { z } from 'zod';
import { METRICS } from '../../core/metrics.js';

const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Devices per page: the default, and the most a client may ask for. */
export const DEFAULT_PAGE = 500;
export const MAX_PAGE = 1000;

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
      limit: z
        .string()
        .regex(/^\d{1,5}$/, 'limit must be an integer')
        .transform(Number)
        .pipe(
          z
            .number()
            .int()
            .min(1, `limit must be 1-${MAX_PAGE}`)
            .max(MAX_PAGE, `limit must be 1-${MAX_PAGE}`),
        )
        .optional(),
      cursor: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,200}$/, 'cursor must be the nextCursor of a previous page')
        .transform((raw, ctx) => {
          const id = Buffer.from(raw, 'base64url').toString('utf8');
          if (!DEVICE_ID.test(id)) {
            ctx.addIssue({
              code: 'custom',
              message: 'cursor must be the nextCursor of a previous page',
            });
            return z.NEVER;
          }
          return id;
        })
        .optional(),
      q: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'q must be 1-128 of [A-Za-z0-9_.:-]')
        .optional(),
    })
    .refine((q) => q.deviceId !== undefined || (q.metric === undefined && q.hours === undefined), {
      message: 'metric and hours need a deviceId',
    })
    .refine(
      (q) =>
        q.deviceId === undefined ||
        (q.limit === undefined && q.cursor === undefined && q.q === undefined),
      { message: 'limit, cursor and q list the fleet: not with a deviceId' },
    );

export const DEFAULT_HISTORY_HOURS = 72;

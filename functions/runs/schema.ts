// GET /runs query contract: a page of runs, newest first.
import { z } from 'zod';

export const DEFAULT_RUNS = 20;
export const MAX_RUNS = 100;

export const RunsQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `limit must be an integer 1-${MAX_RUNS}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, `limit must be 1-${MAX_RUNS}`)
        .max(MAX_RUNS, `limit must be 1-${MAX_RUNS}`),
    )
    .optional(),
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'cursor must be the nextCursor of a previous page')
    .optional(),
});
export type RunsQuery = z.infer<typeof RunsQuery>;

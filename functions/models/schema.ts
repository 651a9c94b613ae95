// GET /models query contract: how many registry entries, newest first.
import { z } from 'zod';

export const DEFAULT_MODELS = 50;
export const MAX_MODELS = 200;

export const ModelsQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, `limit must be an integer 1-${MAX_MODELS}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, `limit must be 1-${MAX_MODELS}`)
        .max(MAX_MODELS, `limit must be 1-${MAX_MODELS}`),
    )
    .optional(),
});

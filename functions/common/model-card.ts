// The serving model card (models/serving.json): which model version the endpoint runs and the
// category maps it was trained with, so the forecast API can build DeepAR `cat` features.
import { z } from 'zod';
import { MODELS_PREFIX } from './lake.js';

export const SERVING_CARD_KEY = `${MODELS_PREFIX}serving.json`;
export const registryKey = (version: string): string => `${MODELS_PREFIX}registry/${version}.json`;

export const Categories = z.object({
  devices: z.array(z.string()),
  metrics: z.array(z.string()),
});
export type Categories = z.infer<typeof Categories>;

export const ModelCard = z.object({
  version: z.string(),
  runId: z.string(),
  trainingJobName: z.string(),
  modelDataUrl: z.string(),
  endpointName: z.string(),
  variant: z.string(),
  categories: Categories,
  metrics: z.record(z.string(), z.number()).default({}),
  deployedAt: z.string(),
});
export type ModelCard = z.infer<typeof ModelCard>;

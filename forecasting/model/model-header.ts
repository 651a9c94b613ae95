// The header every model.json starts with: which engine wrote it, in which format, for which
// horizon and season, from which seed and hyperparameters. Written and checked here once.
import type { DeepArHyperparameters } from './hyperparameters.js';
import type { ModelJson } from './types.js';

export interface ModelHeader<E extends string = string> extends ModelJson {
  engine: E;
  formatVersion: 1;
  timeFreq: string;
  seasonLength: number;
  seed: number;
  hyperparameters: Record<string, string>;
}

/** The header of a model trained with these hyperparameters (key order = the file's). */
export const modelHeader = <E extends string>(
  engine: E,
  hyperparameters: DeepArHyperparameters,
  seasonLength: number,
  seed: number,
): ModelHeader<E> => ({
  engine,
  formatVersion: 1,
  predictionLength: hyperparameters.predictionLength,
  timeFreq: hyperparameters.timeFreq,
  seasonLength,
  seed,
  hyperparameters: hyperparameters.raw,
});

/** Whether a parsed model.json has this engine's format-1 header (steps and season included). */
export const hasModelHeader = (
  m: Partial<ModelHeader> | null,
  engine: string,
): m is Partial<ModelHeader> & ModelJson & { seasonLength: number } =>
  m !== null &&
  m.engine === engine &&
  m.formatVersion === 1 &&
  typeof m.predictionLength === 'number' &&
  typeof m.seasonLength === 'number';

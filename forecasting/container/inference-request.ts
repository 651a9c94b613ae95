// DeepAR inference request validation: defaults as DeepAR applies them, and one clear message
// per malformed field (the client gets it back as a 400).
import { decodeSeries } from '../../core/deepar.js';
import type { DeepArRequest } from '../../core/ports.js';
import { ModelRequestError } from '../errors.js';
import type { PredictConfig, Series } from '../model/types.js';

export const DEFAULT_OUTPUT_TYPES = ['mean', 'quantiles'] as const;
export const DEFAULT_QUANTILES = ['0.1', '0.2', '0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9'];
export const DEFAULT_NUM_SAMPLES = 100;
const MAX_NUM_SAMPLES = 10_000;
const OUTPUT_TYPES = ['mean', 'quantiles', 'samples'] as const;
/**
 * Target values beyond this magnitude are refused: the engine's sums and squares of 1e308
 * overflow to Infinity, and JSON has no Infinity (the answer would hold nulls).
 */
export const MAX_TARGET_MAGNITUDE = 1e15;

/** DeepAR's contract beyond the codec: something to forecast from, and finite arithmetic. */
const targetProblem = (target: ReadonlyArray<number | null>): string | undefined => {
  if (target.length === 0) return 'target must not be empty';
  let observed = 0;
  for (const [i, v] of target.entries()) {
    if (v === null) continue;
    if (Math.abs(v) > MAX_TARGET_MAGNITUDE) {
      return `target[${i}] must be within ±${MAX_TARGET_MAGNITUDE}, got ${v}`;
    }
    observed++;
  }
  return observed === 0
    ? 'target must hold at least one observed value (not all "NaN")'
    : undefined;
};

export interface InferenceRequest {
  instances: Series[];
  config: Omit<PredictConfig, 'seed'>;
}

const parseConfiguration = (value: unknown): Omit<PredictConfig, 'seed'> => {
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ModelRequestError('configuration must be a JSON object');
  }
  const c = value as NonNullable<DeepArRequest['configuration']> & Record<string, unknown>;
  const outputTypes = c.output_types ?? [...DEFAULT_OUTPUT_TYPES];
  if (
    !Array.isArray(outputTypes) ||
    outputTypes.length === 0 ||
    !outputTypes.every((t) => (OUTPUT_TYPES as readonly unknown[]).includes(t))
  ) {
    throw new ModelRequestError(
      `configuration.output_types must be a non-empty array of ${OUTPUT_TYPES.join(', ')}`,
    );
  }
  const quantileKeys = c.quantiles ?? DEFAULT_QUANTILES;
  if (!Array.isArray(quantileKeys) || quantileKeys.length === 0) {
    throw new ModelRequestError('configuration.quantiles must be a non-empty array of strings');
  }
  const quantiles = quantileKeys.map((key) => {
    const level = typeof key === 'string' && key.trim() !== '' ? Number(key) : Number.NaN;
    if (!(level > 0 && level < 1)) {
      throw new ModelRequestError(
        `configuration.quantiles must be strings of numbers in (0, 1), got ${JSON.stringify(key)}`,
      );
    }
    return { key: key as string, level };
  });
  const numSamples = c.num_samples ?? DEFAULT_NUM_SAMPLES;
  if (!Number.isInteger(numSamples) || numSamples < 1 || numSamples > MAX_NUM_SAMPLES) {
    throw new ModelRequestError(
      `configuration.num_samples must be an integer in [1, ${MAX_NUM_SAMPLES}], got ${JSON.stringify(numSamples)}`,
    );
  }
  return { outputTypes, quantiles, numSamples };
};

export const parseInferenceRequest = (body: unknown): InferenceRequest => {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ModelRequestError('request body must be a JSON object with "instances"');
  }
  const record = body as Record<string, unknown>;
  if (!Array.isArray(record.instances) || record.instances.length === 0) {
    throw new ModelRequestError('"instances" must be a non-empty array');
  }
  const instances = record.instances.map((instance, i) => {
    const decoded = decodeSeries(instance);
    if (typeof decoded === 'string') throw new ModelRequestError(`instances[${i}]: ${decoded}`);
    const problem = targetProblem(decoded.target);
    if (problem) throw new ModelRequestError(`instances[${i}].${problem}`);
    return decoded;
  });
  return { instances, config: parseConfiguration(record.configuration) };
};

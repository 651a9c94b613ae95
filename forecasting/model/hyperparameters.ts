// DeepAR hyperparameters: SageMaker hands every value over as a string. Validated up front so a
// bad run fails in seconds with a message naming every problem, like the DeepAR container does.
import { HyperparameterError } from '../errors.js';

export interface DeepArHyperparameters {
  timeFreq: string;
  predictionLength: number;
  contextLength: number;
  epochs: number;
  likelihood: string;
  numEvalSamples: number;
  testQuantiles: number[];
  /** Every value as given, for the model file and DescribeTrainingJob. */
  raw: Record<string, string>;
}

const REQUIRED = ['time_freq', 'prediction_length', 'context_length', 'epochs'] as const;

/** DeepAR's documented hyperparameters; anything else is rejected. */
const KNOWN = new Set<string>([
  ...REQUIRED,
  'cardinality',
  'dropout_rate',
  'early_stopping_patience',
  'embedding_dimension',
  'learning_rate',
  'likelihood',
  'mini_batch_size',
  'num_cells',
  'num_dynamic_feat',
  'num_eval_samples',
  'num_layers',
  'test_quantiles',
]);

const LIKELIHOODS = ['gaussian', 'beta', 'negative-binomial', 'student-T', 'deterministic-L1'];
const TIME_FREQ = /^(\d*)(min|H|D|W|M)$/;
const DEFAULT_TEST_QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

const parseInteger = (value: string, min: number, max: number): number | undefined => {
  if (!/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value);
  return n >= min && n <= max ? n : undefined;
};

const parseQuantiles = (value: string): number[] | undefined => {
  try {
    const parsed: unknown = JSON.parse(value);
    if (!Array.isArray(parsed) || parsed.length === 0) return undefined;
    if (!parsed.every((q) => typeof q === 'number' && q > 0 && q < 1)) return undefined;
    return [...new Set(parsed as number[])].sort((a, b) => a - b);
  } catch {
    return undefined;
  }
};

/** Other known names: only check that numeric ones are numbers, as the engine ignores them. */
const checkOptional = (name: string, value: string): string | undefined => {
  const numeric: Record<string, [number, number]> = {
    dropout_rate: [0, 1],
    learning_rate: [0, 1],
    early_stopping_patience: [0, 1e9],
    embedding_dimension: [1, 1e9],
    mini_batch_size: [1, 1e9],
    num_cells: [1, 1e9],
    num_layers: [1, 1e9],
  };
  const range = numeric[name];
  if (range) {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < range[0] || n > range[1]) {
      return `${name} must be a number in [${range[0]}, ${range[1]}], got "${value}"`;
    }
  }
  if (name === 'num_dynamic_feat' && !['auto', 'ignore'].includes(value)) {
    if (parseInteger(value, 0, 1e6) === undefined) {
      return `num_dynamic_feat must be "auto", "ignore" or an integer, got "${value}"`;
    }
  }
  return undefined;
};

/** Seasonal period of a DeepAR time_freq, in steps (1 when no natural season divides evenly). */
export const seasonLength = (timeFreq: string): number => {
  const match = TIME_FREQ.exec(timeFreq);
  const multiple = Number(match?.[1] || '1');
  const unit = match?.[2];
  const perUnit: Record<string, number> = { min: 24 * 60, H: 24, D: 7, W: 52, M: 12 };
  const period = unit ? (perUnit[unit] ?? 1) : 1;
  return period % multiple === 0 ? period / multiple : 1;
};

export const parseHyperparameters = (input: unknown): DeepArHyperparameters => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new HyperparameterError('hyperparameters must be a JSON object of string values');
  }
  const raw = input as Record<string, unknown>;
  const problems: string[] = [];
  const unknown = Object.keys(raw).filter((name) => !KNOWN.has(name));
  if (unknown.length > 0) problems.push(`unknown hyperparameters: ${unknown.join(', ')}`);
  const missing = REQUIRED.filter((name) => raw[name] === undefined);
  if (missing.length > 0) problems.push(`missing required hyperparameters: ${missing.join(', ')}`);
  const strings: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== 'string') problems.push(`${name} must be a string, got ${typeof value}`);
    else strings[name] = value;
  }
  const read = <T>(name: string, parse: (v: string) => T | undefined, hint: string, dflt?: T) => {
    const value = strings[name];
    if (value === undefined) return dflt;
    const parsed = parse(value);
    if (parsed === undefined) problems.push(`${name} must be ${hint}, got "${value}"`);
    return parsed;
  };
  const timeFreq = read(
    'time_freq',
    (v) => (TIME_FREQ.test(v) ? v : undefined),
    'like 5min, H, D, W or M',
  );
  const predictionLength = read(
    'prediction_length',
    (v) => parseInteger(v, 1, 10_000),
    'an integer >= 1',
  );
  const contextLength = read(
    'context_length',
    (v) => parseInteger(v, 1, 100_000),
    'an integer >= 1',
  );
  const epochs = read('epochs', (v) => parseInteger(v, 1, 1_000_000), 'an integer >= 1');
  const likelihood = read(
    'likelihood',
    (v) => (LIKELIHOODS.includes(v) ? v : undefined),
    `one of ${LIKELIHOODS.join(', ')}`,
    'student-T',
  );
  const numEvalSamples = read(
    'num_eval_samples',
    (v) => parseInteger(v, 1, 100_000),
    'an integer >= 1',
    100,
  );
  const testQuantiles = read(
    'test_quantiles',
    parseQuantiles,
    'a JSON array of numbers in (0, 1)',
    DEFAULT_TEST_QUANTILES,
  );
  for (const [name, value] of Object.entries(strings)) {
    if (!KNOWN.has(name)) continue;
    const problem = checkOptional(name, value);
    if (problem) problems.push(problem);
  }
  if (
    problems.length > 0 ||
    timeFreq === undefined ||
    predictionLength === undefined ||
    contextLength === undefined ||
    epochs === undefined ||
    likelihood === undefined ||
    numEvalSamples === undefined ||
    testQuantiles === undefined
  ) {
    throw new HyperparameterError(`invalid hyperparameters: ${problems.join('; ')}`);
  }
  return {
    timeFreq,
    predictionLength,
    contextLength,
    epochs,
    likelihood,
    numEvalSamples,
    testQuantiles,
    raw: strings,
  };
};

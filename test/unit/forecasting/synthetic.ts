// Tiny synthetic DeepAR dataset for the SageMaker stand-in tests: daily cycles plus seeded noise
// and a few gaps, split like prepare-deepar does (train = test without the last points).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRandom } from '../../../core/random.js';
import { normal } from '../../../forecasting/model/random.js';

export interface SyntheticLine {
  start: string;
  target: Array<number | 'NaN'>;
  cat: number[];
}

export const syntheticSeries = (options: {
  devices?: number;
  metrics?: number;
  hours?: number;
  seed?: number;
}): SyntheticLine[] => {
  const { devices = 3, metrics = 2, hours = 24 * 14, seed = 1 } = options;
  const random = createRandom(seed);
  const lines: SyntheticLine[] = [];
  for (let d = 0; d < devices; d++) {
    for (let m = 0; m < metrics; m++) {
      const base = 20 + 15 * m + 5 * d;
      const target = Array.from({ length: hours }, (_, t) => {
        if (t % 37 === 5) return 'NaN' as const;
        const value = base + 10 * Math.sin((2 * Math.PI * t) / 24) + 3 * normal(random);
        return Math.max(0, Math.round(value * 10) / 10);
      });
      lines.push({ start: '2024-01-01 00:00:00', target, cat: [d, m] });
    }
  }
  return lines;
};

export const toJsonLines = (lines: SyntheticLine[]): string =>
  `${lines.map((line) => JSON.stringify(line)).join('\n')}\n`;

export const HYPERPARAMETERS = {
  time_freq: 'H',
  prediction_length: '24',
  context_length: '72',
  epochs: '1',
  likelihood: 'student-T',
  num_eval_samples: '100',
  test_quantiles: '[0.1, 0.5, 0.9]',
};

/** Writes a training job root (train gzipped, test plain) and returns it. */
export const writeTrainingRoot = async (
  root: string,
  hyperparameters: Record<string, unknown> = HYPERPARAMETERS,
  lines: SyntheticLine[] = syntheticSeries({}),
): Promise<string> => {
  const predictionLength = 24;
  const train = lines.map((line) => ({ ...line, target: line.target.slice(0, -predictionLength) }));
  await mkdir(join(root, 'input', 'data', 'train'), { recursive: true });
  await mkdir(join(root, 'input', 'data', 'test'), { recursive: true });
  await mkdir(join(root, 'input', 'config'), { recursive: true });
  await writeFile(
    join(root, 'input', 'data', 'train', 'part-0.json.gz'),
    gzipSync(toJsonLines(train)),
  );
  await writeFile(join(root, 'input', 'data', 'test', 'part-0.json'), toJsonLines(lines));
  await writeFile(
    join(root, 'input', 'config', 'hyperparameters.json'),
    JSON.stringify(hyperparameters),
  );
  return root;
};

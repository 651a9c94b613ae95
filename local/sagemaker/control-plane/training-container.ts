// The training container of a local training job: the trainer's command-line entry
// (forecasting/container/train-cli.ts) in a process of its own, as SageMaker runs the algorithm
// on an instance of its own. The runtime's event loop keeps serving while a model trains, and
// the trainer's memory is not the runtime's. Its output lines reach `log`; the result is read
// from the container layout (model/, output/metrics.json) once it exits.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type TrainingResult, trainingPaths } from '../../../forecasting/container/run-training.js';

const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
const TRAIN_CLI = join(REPO_ROOT, 'forecasting', 'container', 'train-cli.ts');

export class TrainingContainerError extends Error {
  override readonly name = 'TrainingContainerError';
}

export interface TrainingContainerOptions {
  root: string;
  seed: number;
  log: (message: string) => void;
}

/** Runs one training to its end; rejects with the trainer's own reason when it fails. */
export const runTrainingContainer = async (
  options: TrainingContainerOptions,
): Promise<TrainingResult> => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', TRAIN_CLI, '--root', options.root, '--seed', String(options.seed)],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const errors: string[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => options.log(line));
  createInterface({ input: child.stderr }).on('line', (line) => {
    errors.push(line);
    if (errors.length > 20) errors.shift();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exit) => resolve(exit));
  });
  const paths = trainingPaths(options.root);
  if (code !== 0) {
    const written = await readFile(paths.failure, 'utf8').catch(() => undefined);
    throw new TrainingContainerError(
      written ?? `the trainer exited with ${code}: ${errors.join('\n') || 'no output'}`,
    );
  }
  const metrics = JSON.parse(
    await readFile(join(paths.output, 'metrics.json'), 'utf8'),
  ) as TrainingResult['metrics'];
  return { modelDir: paths.model, metrics };
};

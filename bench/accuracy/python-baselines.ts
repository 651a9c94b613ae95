// The global GBM and DeepAR baselines run by Debian's Python (the default python3 may be a
// build without Debian's packages): one process per baseline and scenario, the training series
// and every forecast request as JSON on stdin, one {q10, q50, q90} per request on stdout.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { QuantileForecast } from './scores.js';

export const PYTHON = '/usr/bin/python3';

export interface PythonBaseline {
  name: 'gbm' | 'deepar';
  script: string;
  module: string;
  aptPackage: string;
}

export const PYTHON_BASELINES: readonly PythonBaseline[] = [
  { name: 'gbm', script: 'gbm.py', module: 'sklearn', aptPackage: 'python3-sklearn' },
  { name: 'deepar', script: 'deepar.py', module: 'torch', aptPackage: 'python3-torch' },
];

export interface PythonSeries {
  start: string;
  target: Array<number | null>;
  cat: number[];
}

/** Why the baseline cannot run here (the apt package to install), or undefined when it can. */
export const missingDependency = (baseline: PythonBaseline): string | undefined => {
  const probe = spawnSync(PYTHON, ['-c', `import numpy, ${baseline.module}`], { stdio: 'ignore' });
  return probe.status === 0
    ? undefined
    : `${baseline.name} skipped: ${PYTHON} cannot import ${baseline.module}; install it with \`apt-get install -y ${baseline.aptPackage}\``;
};

export const runPythonBaseline = (
  baseline: PythonBaseline,
  job: { horizon: number; train: PythonSeries[]; requests: PythonSeries[] },
  env: Record<string, string> = {},
): Promise<QuantileForecast[]> =>
  new Promise((resolve, reject) => {
    const script = fileURLToPath(new URL(baseline.script, import.meta.url));
    const child = spawn(PYTHON, [script], {
      env: { ...process.env, OMP_NUM_THREADS: '1', ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${baseline.script} exited with ${code}`));
      resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as QuantileForecast[]);
    });
    child.stdin.end(JSON.stringify(job));
  });

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../../forecasting/container/train-cli.js';
import { tempDirPerTest } from '../../temp-dir.js';
import { HYPERPARAMETERS, writeTrainingRoot } from '../synthetic.js';

describe('train CLI', () => {
  const tempDir = tempDirPerTest('smogcast-train-cli-');

  beforeEach(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });

  afterEach(async () => {
    vi.restoreAllMocks();
  });

  it('trains the root given with --root and prints DeepAR test scores', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root);

    // Act
    const code = await main(['--root', root, '--seed', '4']);

    // Assess
    expect(code).toBe(0);
    const model = JSON.parse(await readFile(join(root, 'model', 'model.json'), 'utf8'));
    expect(model.engine).toBe('global-lag');
    const printed = vi.mocked(console.log).mock.calls.map((call) => String(call[0]));
    expect(printed.some((line) => line.includes('#test_score (algo-1, mean_wQuantileLoss)'))).toBe(
      true,
    );
  });

  it('exits 1 and leaves output/failure naming a bad hyperparameter', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root, { ...HYPERPARAMETERS, likelihood: 'poisson' });

    // Act
    const code = await main(['--root', root]);

    // Assess
    expect(code).toBe(1);
    expect(await readFile(join(root, 'output', 'failure'), 'utf8')).toContain('likelihood');
  });

  it.each([[[]], [['--root']], [['--root', 'x', '--seed', '-1']], [['--bogus']]])(
    'exits 2 with the usage for %j',
    async (argv) => {
      // Act
      const code = await main(argv);

      // Assess
      expect(code).toBe(2);
      expect(String(vi.mocked(console.error).mock.calls[0]?.[0])).toContain('usage');
    },
  );
});

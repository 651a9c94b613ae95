import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTraining } from '../../../../forecasting/container/run-training.js';
import { tempDirPerTest } from '../../temp-dir.js';
import { HYPERPARAMETERS, syntheticSeries, writeTrainingRoot } from '../synthetic.js';

describe('runTraining', () => {
  const tempDir = tempDirPerTest('smogcast-train-');

  it('writes a model and reports finite DeepAR test metrics', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root);

    // Act
    const result = await runTraining({ root, seed: 7 });

    // Assess
    const names = result.metrics.map((m) => m.name);
    expect(names).toEqual([
      'test:RMSE',
      'test:mean_wQuantileLoss',
      'test:wQuantileLoss[0.1]',
      'test:wQuantileLoss[0.5]',
      'test:wQuantileLoss[0.9]',
      'test:coverage80',
    ]);
    for (const metric of result.metrics) expect(Number.isFinite(metric.value)).toBe(true);
    const model = JSON.parse(await readFile(join(root, 'model', 'model.json'), 'utf8'));
    expect(model).toMatchObject({
      engine: 'global-lag',
      predictionLength: 24,
      seasonLength: 24,
    });
  });

  it('is calibrated on data like its training data', async () => {
    // Prepare: daily cycle plus N(0, 3) noise -> the best possible error is about N(0, 3)
    const root = tempDir();
    await writeTrainingRoot(root);

    // Act
    const { metrics } = await runTraining({ root });

    // Assess
    const value = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
    expect(value('test:coverage80')).toBeGreaterThan(0.6);
    expect(value('test:coverage80')).toBeLessThan(0.95);
    expect(value('test:RMSE')).toBeLessThan(8);
    expect(value('test:wQuantileLoss[0.5]')).toBeLessThan(0.2);
  });

  it('is deterministic for a seed', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root);

    // Act
    const first = await runTraining({ root, seed: 3 });
    const firstModel = await readFile(join(root, 'model', 'model.json'), 'utf8');
    const second = await runTraining({ root, seed: 3 });
    const secondModel = await readFile(join(root, 'model', 'model.json'), 'utf8');

    // Assess
    expect(second.metrics).toEqual(first.metrics);
    expect(secondModel).toBe(firstModel);
  });

  it('writes output/failure naming bad hyperparameters and rethrows', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root, { ...HYPERPARAMETERS, num_cels: '40' });

    // Act
    const attempt = runTraining({ root });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'HyperparameterError' });
    const failure = await readFile(join(root, 'output', 'failure'), 'utf8');
    expect(failure).toMatch(/unknown hyperparameters: num_cels/);
  });

  it('fails with the file and line of a malformed channel line', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root);
    await writeFile(
      join(root, 'input', 'data', 'train', 'zz-bad.json'),
      '{"start":"2024-01-01 00:00:00","target":["x"]}\n',
    );

    // Act
    const attempt = runTraining({ root });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'ChannelDataError' });
    const failure = await readFile(join(root, 'output', 'failure'), 'utf8');
    expect(failure).toMatch(/zz-bad\.json line 1: target\[0\]/);
  });

  it('fails when the train series are too short to learn errors', async () => {
    // Prepare: 34 hours minus the 24 held out leaves 10 train hours, less than one season
    const root = tempDir();
    await writeTrainingRoot(root, HYPERPARAMETERS, syntheticSeries({ hours: 34 }));

    // Act
    const attempt = runTraining({ root });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'NotEnoughDataError' });
    expect(await readFile(join(root, 'output', 'failure'), 'utf8')).toMatch(/NotEnoughDataError/);
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, predict } from '../../../../forecasting/container/model-server.js';
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

  it.each([
    ['1 day', 24],
    ['2 days', 48],
  ])('trains on %s of history and serves naive with bands', async (_name, hours) => {
    // Prepare: the test channel holds the whole history, train the same minus the last 24 hours
    const root = tempDir();
    const lines = syntheticSeries({ hours, seed: 3 });
    await writeTrainingRoot(root, HYPERPARAMETERS, lines);

    // Act
    const result = await runTraining({ root, seed: 5 });
    const loaded = await loadModel(result.modelDir);
    const line = lines[0] ?? { start: '', target: [], cat: [] };
    const response = predict(loaded, {
      instances: [line],
      configuration: { output_types: ['quantiles'], quantiles: ['0.1', '0.5', '0.9'] },
    });

    // Assess: the median is the last observation, the 80% band is real and widens with the step
    const q = response.predictions[0]?.quantiles ?? {};
    const last = line.target.filter((v) => v !== 'NaN').at(-1);
    expect(q['0.5']?.[0]).toBeCloseTo(Number(last), 6);
    const width = (h: number) => (q['0.9']?.[h] ?? 0) - (q['0.1']?.[h] ?? 0);
    expect(width(0)).toBeGreaterThan(0);
    expect(width(23)).toBeGreaterThan(width(0));
    for (const h of [0, 11, 23]) {
      expect(q['0.1']?.[h]).toBeLessThanOrEqual(q['0.5']?.[h] ?? Number.NaN);
      expect(q['0.5']?.[h]).toBeLessThanOrEqual(q['0.9']?.[h] ?? Number.NaN);
    }
    if (hours > 24) {
      const coverage = result.metrics.find((m) => m.name === 'test:coverage80')?.value;
      expect(coverage).toBeGreaterThan(0.7);
      expect(coverage).toBeLessThan(0.95);
    } else {
      // A 24-hour test series has nothing after its horizon to score.
      expect(result.metrics).toEqual([]);
    }
  });

  it('fails when the train channel holds no series', async () => {
    // Prepare
    const root = tempDir();
    await writeTrainingRoot(root, HYPERPARAMETERS, []);

    // Act
    const attempt = runTraining({ root });

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'NotEnoughDataError' });
    expect(await readFile(join(root, 'output', 'failure'), 'utf8')).toMatch(/NotEnoughDataError/);
  });
});

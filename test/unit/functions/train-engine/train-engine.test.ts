// train-engine on a lake holding one run's channels, then the artifact it wrote served in
// process: the real training core and the real inference core, the lake in memory.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { engineArtifactKey } from '../../../../core/engine-artifact.js';
import { ModelInputRejectedError } from '../../../../core/errors.js';
import { deeparRunPrefix } from '../../../../core/lake.js';
import { InProcessEngine } from '../../../../functions/common/adapters/in-process-engine.js';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { trainEngine } from '../../../../functions/train-engine/train-engine.js';
import { HYPERPARAMETERS, syntheticSeries, toJsonLines } from '../../forecasting/synthetic.js';

const RUN = 'run-1';

const lakeWithChannels = async () => {
  const store = new MemoryObjectStore('lake');
  const lines = syntheticSeries({});
  const train = lines.map((l) => ({ ...l, target: l.target.slice(0, -24) }));
  await store.put(`${deeparRunPrefix(RUN)}train/part-0.json`, toJsonLines(train));
  await store.put(`${deeparRunPrefix(RUN)}test/part-0.json`, toJsonLines(lines));
  return { store, lines };
};

describe('trainEngine', () => {
  it('trains on the run’s channels and writes the artifact under models/engine/', async () => {
    // Prepare
    const { store, lines } = await lakeWithChannels();

    // Act
    const result = await trainEngine(
      { runId: RUN, version: '20261120-000000', hyperParameters: HYPERPARAMETERS },
      { store, bucket: 'lake', scratchDir: tmpdir() },
    );

    // Assess: SageMaker's result shape, the engine's test metrics, the artifact in the lake.
    expect(result).toMatchObject({
      trainingJobName: 'smogcast-engine-20261120-000000',
      modelDataUrl: `s3://lake/${engineArtifactKey('20261120-000000')}`,
      algorithm: 'smogcast',
    });
    const wql = result.metrics.find((m) => m.MetricName === 'test:mean_wQuantileLoss');
    expect(wql?.Value).toBeGreaterThan(0);
    expect(await store.get(engineArtifactKey('20261120-000000'))).toBeDefined();

    // Act: the artifact served in process, as the forecast Lambda does.
    const engine = new InProcessEngine(store, 1);
    const model = { version: '20261120-000000', modelDataUrl: result.modelDataUrl };
    const instance = { ...(lines[0] as (typeof lines)[number]) };
    const answer = await engine.invoke(model, {
      instances: [instance],
      configuration: { output_types: ['mean', 'quantiles'], quantiles: ['0.1', '0.9'] },
    });

    // Assess
    expect(answer.variant).toBe('in-process');
    expect(answer.body.predictions[0]?.mean).toHaveLength(24);
    expect(engine.cachedVersions()).toEqual(['20261120-000000']);
    // A category the model was not trained with is the caller's fault (a 4xx), as at an endpoint.
    await expect(
      engine.invoke(model, { instances: [{ ...instance, cat: [99, 0] }] }),
    ).rejects.toBeInstanceOf(ModelInputRejectedError);
  });

  it('keeps at most `keep` versions in memory, the least recently used let go', async () => {
    // Prepare
    const { store } = await lakeWithChannels();
    const urls: string[] = [];
    for (const version of ['v1', 'v2', 'v3']) {
      const trained = await trainEngine(
        { runId: RUN, version, hyperParameters: HYPERPARAMETERS },
        { store, bucket: 'lake', scratchDir: tmpdir() },
      );
      urls.push(trained.modelDataUrl);
    }
    const engine = new InProcessEngine(store, 2);
    const request = {
      instances: [{ start: '2024-01-01 00:00:00', target: [1, 2, 3], cat: [0, 0] }],
    };

    // Act
    await engine.invoke({ version: 'v1', modelDataUrl: urls[0] as string }, request);
    await engine.invoke({ version: 'v2', modelDataUrl: urls[1] as string }, request);
    await engine.invoke({ version: 'v1', modelDataUrl: urls[0] as string }, request);
    await engine.invoke({ version: 'v3', modelDataUrl: urls[2] as string }, request);

    // Assess
    expect(engine.cachedVersions()).toEqual(['v1', 'v3']);
  });
});

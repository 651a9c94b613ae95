// The seams between the SageMaker DeepAR side and the local engine: what the state machine
// hands the training job and what the forecast Lambda sends the endpoint must be exactly what
// the local trainer and model server accept, so both runtimes run the same definitions.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { predict } from '../../../../forecasting/container/model-server.js';
import { trainingPaths } from '../../../../forecasting/container/run-training.js';
import { parseHyperparameters } from '../../../../forecasting/model/hyperparameters.js';
import { buildRequest } from '../../../../functions/forecast/forecast.js';
import { useLoadedModel } from '../trained-model.js';

interface AslState {
  Parameters?: Record<string, unknown> & {
    hyperParameters?: Record<string, string>;
    InputDataConfig?: Array<{ ChannelName: string; ContentType?: string }>;
  };
}

const loadDefinition = async () =>
  JSON.parse(await readFile('state-machines/retrain.asl.json', 'utf8')) as {
    States: Record<string, AslState>;
  };

/** CloudFormation's DefinitionSubstitutions with the dev stage's values. */
const substitute = (value: string) =>
  value.replace(
    /\$\{(\w+)\}/g,
    (_whole, name: string) =>
      ({ PredictionLength: '24', ContextLength: '72', Epochs: '20', Likelihood: 'student-T' })[
        name
      ] ?? `<${name}>`,
  );

describe('the retrain state machine and the local trainer', () => {
  it('sends hyperparameters the trainer accepts under their DeepAR names', async () => {
    // Prepare
    const definition = await loadDefinition();
    const raw = definition.States.Configure?.Parameters?.hyperParameters ?? {};
    const substituted = Object.fromEntries(
      Object.entries(raw).map(([name, value]) => [name, substitute(value)]),
    );

    // Act
    const parsed = parseHyperparameters(substituted);

    // Assess
    expect(parsed.timeFreq).toBe('H');
    expect(parsed.predictionLength).toBe(24);
    expect(parsed.contextLength).toBe(72);
    expect(parsed.testQuantiles).toEqual([0.1, 0.5, 0.9]);
  });

  it('names the channels the training container reads', async () => {
    // Prepare
    const definition = await loadDefinition();
    const paths = trainingPaths('/opt/ml');

    // Act
    const channels = definition.States.Train?.Parameters?.InputDataConfig ?? [];

    // Assess
    expect(channels.map((c) => c.ChannelName).sort()).toEqual(['test', 'train']);
    for (const channel of channels) {
      expect(channel.ContentType).toBe('json');
      expect(paths[channel.ChannelName as 'train' | 'test']).toBe(
        `/opt/ml/input/data/${channel.ChannelName}`,
      );
    }
  });
});

describe('the forecast Lambda request and the local model server', () => {
  const loaded = useLoadedModel();

  it('answers the exact request the forecast function builds, gaps included', () => {
    // Prepare
    const values = Array.from({ length: 72 }, (_, t) => (t % 10 === 3 ? null : 20 + (t % 24)));
    const request = buildRequest(Date.UTC(2024, 0, 1), values, [1, 0], [0.05, 0.5, 0.95]);

    // Act
    const response = predict(loaded(), request);

    // Assess
    const [prediction] = response.predictions;
    expect(response.predictions).toHaveLength(1);
    expect(prediction?.mean).toHaveLength(24);
    expect(Object.keys(prediction?.quantiles ?? {}).sort()).toEqual(['0.05', '0.5', '0.95']);
    const q = prediction?.quantiles ?? {};
    for (let h = 0; h < 24; h++) {
      expect(q['0.05']?.[h]).toBeLessThanOrEqual(q['0.5']?.[h] ?? Number.NaN);
      expect(q['0.5']?.[h]).toBeLessThanOrEqual(q['0.95']?.[h] ?? Number.NaN);
    }
  });
});

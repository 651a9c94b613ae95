import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createModelServer, predict } from '../../../../forecasting/container/model-server.js';
import { syntheticSeries } from '../synthetic.js';
import { useLoadedModel, useServedModel } from '../trained-model.js';

const history = () => {
  const line = syntheticSeries({ hours: 24 * 7 })[1];
  if (!line) throw new Error('no synthetic series');
  return line;
};

type Hist = { start: string; target: unknown[]; cat?: number[] };

describe('model server predict', () => {
  const loaded = useLoadedModel();

  it('answers with DeepAR defaults: mean and quantiles 0.1..0.9, prediction_length points', () => {
    // Act
    const response = predict(loaded(), { instances: [history()] });

    // Assess
    expect(response.predictions).toHaveLength(1);
    const [prediction] = response.predictions;
    expect(prediction?.mean).toHaveLength(24);
    expect(Object.keys(prediction?.quantiles ?? {})).toEqual([
      '0.1',
      '0.2',
      '0.3',
      '0.4',
      '0.5',
      '0.6',
      '0.7',
      '0.8',
      '0.9',
    ]);
    expect(prediction?.samples).toBeUndefined();
  });

  it.each([
    [
      'an empty target',
      (h: Hist) => ({ ...h, target: [] }),
      /instances\[0\]\.target must not be empty/,
    ],
    [
      'an all-NaN target',
      (h: Hist) => ({ ...h, target: h.target.map(() => 'NaN') }),
      /instances\[0\]\.target must hold at least one observed value/,
    ],
    [
      'target values of 1e308',
      (h: Hist) => ({ ...h, target: h.target.map(() => 1e308) }),
      /instances\[0\]\.target\[0\] must be within/,
    ],
    [
      'a negative cat',
      (h: Hist) => ({ ...h, cat: [-1, 1] }),
      /instances\[0\]: cat\[0\] must be a non-negative/,
    ],
    [
      'an unknown device cat',
      (h: Hist) => ({ ...h, cat: [999, 1] }),
      /instances\[0\]\.cat\[0\] must be below/,
    ],
    [
      'an unknown metric cat',
      (h: Hist) => ({ ...h, cat: [0, 6] }),
      /instances\[0\]\.cat\[1\] must be below/,
    ],
    [
      'no cat for a model trained with them',
      (h: Hist) => ({ start: h.start, target: h.target }),
      /instances\[0\]\.cat must have 2 entries/,
    ],
  ])('refuses %s with a message naming the field', (_name, change, message) => {
    expect(() => predict(loaded(), { instances: [change(history() as Hist)] })).toThrow(message);
  });

  it('returns ordered, non-negative quantiles under the requested keys', () => {
    // Act
    const [prediction] = predict(loaded(), {
      instances: [history()],
      configuration: { output_types: ['quantiles'], quantiles: ['0.9', '0.1', '0.50'] },
    }).predictions;

    // Assess
    const q = prediction?.quantiles ?? {};
    expect(Object.keys(q)).toEqual(['0.9', '0.1', '0.50']);
    for (let h = 0; h < 24; h++) {
      const [low, mid, high] = [q['0.1']?.[h], q['0.50']?.[h], q['0.9']?.[h]] as number[];
      expect(low).toBeGreaterThanOrEqual(0);
      expect(low).toBeLessThanOrEqual(mid as number);
      expect(mid).toBeLessThanOrEqual(high as number);
    }
    expect(prediction?.mean).toBeUndefined();
  });

  it('draws num_samples reproducible sample paths', () => {
    // Prepare
    const request = {
      instances: [history()],
      configuration: { num_samples: 7, output_types: ['samples' as const] },
    };

    // Act
    const first = predict(loaded(), request).predictions[0];
    const second = predict(loaded(), request).predictions[0];

    // Assess
    expect(first?.samples).toHaveLength(7);
    expect(first?.samples?.every((path) => path.length === 24)).toBe(true);
    expect(first?.samples?.flat().every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    expect(second).toEqual(first);
  });

  it('forecasts through "NaN" and null gaps (an all-missing history is refused, see below)', () => {
    // Prepare
    const gappy = {
      ...history(),
      target: history().target.map((v, i) => (i % 3 === 0 ? 'NaN' : v)),
    };
    const withNulls = { start: '2024-01-01 00:00:00', target: [null, 12, null], cat: [0, 1] };

    // Act
    const response = predict(loaded(), { instances: [gappy, withNulls] });

    // Assess
    expect(response.predictions).toHaveLength(2);
    for (const prediction of response.predictions) {
      expect(prediction.mean).toHaveLength(24);
      expect(prediction.mean?.every(Number.isFinite)).toBe(true);
    }
  });

  it.each([
    [{}, /"instances" must be a non-empty array/],
    [{ instances: [{ target: [1] }] }, /instances\[0\]: start must be/],
    [{ instances: [{ start: '2024-01-01 00:00:00', target: [1, 'x'] }] }, /target\[1\]/],
    [{ instances: [history()], configuration: { quantiles: ['1.5'] } }, /configuration.quantiles/],
    [{ instances: [history()], configuration: { output_types: ['median'] } }, /output_types/],
    [{ instances: [history()], configuration: { num_samples: 0 } }, /num_samples/],
  ])('rejects malformed request %# with ModelRequestError', (request, message) => {
    // Act + Assess
    expect(() => predict(loaded(), request)).toThrowError(message);
    try {
      predict(loaded(), request);
    } catch (error) {
      expect((error as Error).name).toBe('ModelRequestError');
    }
  });
});

describe('createModelServer', () => {
  const url = useServedModel(async (modelDir) => {
    const server = await createModelServer(modelDir);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  });

  it('answers GET /ping with 200', async () => {
    // Act
    const response = await fetch(`${url()}/ping`);

    // Assess
    expect(response.status).toBe(200);
  });

  it('answers POST /invocations with DeepAR predictions', async () => {
    // Act
    const response = await fetch(`${url()}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [history()], configuration: { quantiles: ['0.5'] } }),
    });

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { predictions: Array<{ quantiles: object }> };
    expect(Object.keys(body.predictions[0]?.quantiles ?? {})).toEqual(['0.5']);
  });

  it.each([['not json'], [JSON.stringify({ instances: 'none' })]])(
    'answers garbage body %# with 400 and a JSON error',
    async (body) => {
      // Act
      const response = await fetch(`${url()}/invocations`, { method: 'POST', body });

      // Assess
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toMatch(/JSON|instances/);
    },
  );
});

import { describe, expect, it } from 'vitest';
import { parseServeArgs, serve } from '../../../../forecasting/container/serve-cli.js';
import { syntheticSeries } from '../synthetic.js';
import { useServedModel } from '../trained-model.js';

describe('serve-model CLI arguments', () => {
  it('reads --model-dir, --port and --host', () => {
    // Act
    const options = parseServeArgs(['--model-dir', 'm', '--port', '0', '--host', '127.0.0.1']);

    // Assess
    expect(options).toMatchObject({ port: 0, host: '127.0.0.1' });
    expect(options !== 'help' && options.modelDir.endsWith('/m')).toBe(true);
  });

  it.each([
    [[], /--model-dir is required/],
    [['--model-dir', 'm', '--port', 'eighty'], /--port must be an integer/],
    [['--model-dir', 'm', '--port', '70000'], /--port must be an integer/],
  ])('rejects %j', (argv, message) => {
    // Act
    const attempt = () => parseServeArgs(argv);

    // Assess
    expect(attempt).toThrow(message);
  });
});

describe('serve-model CLI server', () => {
  const url = useServedModel((modelDir) => serve({ modelDir, port: 0, host: '127.0.0.1' }));

  it('answers /ping and a DeepAR request with samples', async () => {
    // Prepare
    const instance = syntheticSeries({ hours: 48 })[0];
    const body = {
      instances: [instance],
      configuration: { num_samples: 5, output_types: ['mean', 'samples'] },
    };

    // Act
    const ping = await fetch(`${url()}/ping`);
    const response = await fetch(`${url()}/invocations`, {
      method: 'POST',
      body: JSON.stringify(body),
    });

    // Assess
    expect(ping.status).toBe(200);
    expect(response.status).toBe(200);
    const json = (await response.json()) as {
      predictions: Array<{ mean: number[]; samples: number[][] }>;
    };
    expect(json.predictions[0]?.mean).toHaveLength(24);
    expect(json.predictions[0]?.samples).toHaveLength(5);
  });

  it.each([
    [{ instances: [{ start: 'yesterday', target: [1] }] }, /start must be/],
    [
      {
        instances: [{ start: '2024-01-01 00:00:00', target: [1] }],
        configuration: { quantiles: ['1.5'] },
      },
      /quantiles/,
    ],
    [{ instances: [{ start: '2024-01-01 00:00:00', target: ['x'] }] }, /target\[0\]/],
  ])('answers 400 naming the problem for %j', async (body, message) => {
    // Act
    const response = await fetch(`${url()}/invocations`, {
      method: 'POST',
      body: JSON.stringify(body),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(message);
  });
});

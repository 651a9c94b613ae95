import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RuntimeServer,
  startRuntimeServer,
} from '../../../../../local/sagemaker/control-plane/runtime-server.js';

describe('runtime server error mapping', () => {
  let server: RuntimeServer;
  let client: SageMakerRuntimeClient;

  beforeAll(async () => {
    // A model that crashes on every request: the container failing, not the caller.
    server = await startRuntimeServer({
      invokeEndpoint: () => {
        throw new TypeError('cannot read properties of undefined');
      },
    });
    client = new SageMakerRuntimeClient({
      region: 'us-east-1',
      endpoint: server.url,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });

  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  it('reports a model exception as ModelError 424 with the original status', async () => {
    // Act
    const attempt = client.send(
      new InvokeEndpointCommand({
        EndpointName: 'smogcast',
        ContentType: 'application/json',
        Body: '{}',
      }),
    );

    // Assess
    await expect(attempt).rejects.toMatchObject({
      name: 'ModelError',
      OriginalStatusCode: 500,
      OriginalMessage: 'cannot read properties of undefined',
      $metadata: { httpStatusCode: 424 },
    });
  });

  it('answers GET /ping and 404s other routes', async () => {
    // Act
    const ping = await fetch(`${server.url}/ping`);
    const other = await fetch(`${server.url}/endpoints/x`);

    // Assess
    expect(ping.status).toBe(200);
    expect(other.status).toBe(404);
  });
});

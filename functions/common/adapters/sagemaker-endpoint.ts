// ModelEndpoint over SageMaker Runtime's InvokeEndpoint: the real AWS endpoint in the cloud, the
// local endpoint server (same REST API) locally. Only the endpoint URL differs.
import {
  InvokeEndpointCommand,
  SageMakerRuntimeClient,
  type SageMakerRuntimeClientConfig,
} from '@aws-sdk/client-sagemaker-runtime';
import { EndpointNotDeployedError, ModelInputRejectedError } from '../../../core/errors.js';
import type { DeepArRequest, DeepArResponse, ModelEndpoint } from '../../../core/ports.js';
import { decodeText } from '../../../core/text.js';

export interface SageMakerEndpointOptions {
  region: string;
  endpointName: string;
  /** Local endpoint server URL; absent on AWS. */
  url?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** SageMaker answers InvokeEndpoint on an endpoint that does not exist with this. */
const isEndpointMissing = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'ValidationError' || error.name === 'ValidationException') &&
  /not found|could not find/i.test(error.message);

/** Any other ValidationError: the model (its container) refused the request body, a 4xx. */
const isInputRejected = (error: unknown): boolean =>
  error instanceof Error &&
  (error.name === 'ValidationError' || error.name === 'ValidationException');

export class SageMakerEndpoint implements ModelEndpoint {
  private readonly client: SageMakerRuntimeClient;

  constructor(private readonly options: SageMakerEndpointOptions) {
    const config: SageMakerRuntimeClientConfig = { region: options.region };
    if (options.url) config.endpoint = options.url;
    if (options.credentials) config.credentials = options.credentials;
    this.client = new SageMakerRuntimeClient(config);
  }

  async invoke(
    request: DeepArRequest,
    targetVariant?: string,
  ): Promise<{ body: DeepArResponse; variant: string | undefined }> {
    try {
      const out = await this.client.send(
        new InvokeEndpointCommand({
          EndpointName: this.options.endpointName,
          ContentType: 'application/json',
          Accept: 'application/json',
          Body: JSON.stringify(request),
          TargetVariant: targetVariant,
        }),
      );
      const body = JSON.parse(decodeText(out.Body ?? new Uint8Array())) as DeepArResponse;
      return { body, variant: out.InvokedProductionVariant };
    } catch (error) {
      if (isEndpointMissing(error)) {
        throw new EndpointNotDeployedError(this.options.endpointName, { cause: error });
      }
      if (isInputRejected(error)) {
        throw new ModelInputRejectedError((error as Error).message, { cause: error });
      }
      throw error;
    }
  }
}

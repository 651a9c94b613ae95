// The one place that decides between AWS and the local stand-ins. Handlers call these.

import type { ModelEndpoint, ObjectStore } from '../../core/ports.js';
import { createS3Client, S3ObjectStore } from './adapters/s3-object-store.js';
import { SageMakerEndpoint } from './adapters/sagemaker-endpoint.js';
import { type Config, LOCAL_S3_CREDENTIALS } from './config.js';

export const createObjectStore = (config: Config): ObjectStore => {
  const local = config.runtime === 'local';
  const client = createS3Client({
    region: config.region,
    endpoint: local ? config.s3Endpoint : undefined,
    credentials: local ? LOCAL_S3_CREDENTIALS : undefined,
  });
  return new S3ObjectStore(client, config.lakeBucket);
};

export const createModelEndpoint = (config: Config): ModelEndpoint => {
  const local = config.runtime === 'local';
  return new SageMakerEndpoint({
    region: config.region,
    endpointName: config.endpointName,
    url: local ? config.sagemakerRuntimeEndpoint : undefined,
    // The local endpoint server does not check signatures; the SDK still needs credentials.
    credentials: local ? LOCAL_S3_CREDENTIALS : undefined,
  });
};

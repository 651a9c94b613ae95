// The one place that decides between AWS and the local stand-ins. Handlers call these.

import { createS3Client, S3ObjectStore } from './adapters/s3-object-store.js';
import { type Config, LOCAL_S3_CREDENTIALS } from './config.js';
import type { ObjectStore } from './ports.js';

export const createObjectStore = (config: Config): ObjectStore => {
  const local = config.runtime === 'local';
  const client = createS3Client({
    region: config.region,
    endpoint: local ? config.s3Endpoint : undefined,
    credentials: local ? LOCAL_S3_CREDENTIALS : undefined,
  });
  return new S3ObjectStore(client, config.lakeBucket);
};

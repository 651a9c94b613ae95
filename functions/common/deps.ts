// The one place that decides between AWS and the local stand-ins. Handlers and the local runtime
// build their clients here, from a Config; nothing else asks "am I local?".
import { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../../core/errors.js';
import type { ModelEndpoint, ObjectStore } from '../../core/ports.js';
import { InProcessEngine } from './adapters/in-process-engine.js';
import { S3ObjectStore } from './adapters/s3-object-store.js';
import { SageMakerEndpoint } from './adapters/sagemaker-endpoint.js';
import { servingEndpoint } from './adapters/serving-endpoint.js';
import type { Config } from './config.js';
import { cachedModelCard, type ModelCardSource } from './model-card-source.js';

/** The local object store's fixed credentials (local/object-store/), for callers without a role. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Credentials a local caller signs with (the local runtime gives each its role's key). */
export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * A client for the local object store (local/object-store/, on 127.0.0.1): path-style
 * addressing, the caller's credentials (by default the store's fixed ones), and checksums only
 * when an operation requires them, so request bodies stay plain. AWS S3 needs none of this.
 */
export const createLocalS3Client = (
  endpoint: string,
  region = 'us-east-1',
  credentials: LocalCredentials = LOCAL_S3_CREDENTIALS,
): S3Client =>
  new S3Client({
    region,
    endpoint,
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

const required = (value: string | undefined, name: string): string => {
  if (!value)
    throw new ConfigError(`invalid configuration: ${name} is required when SMOGCAST_RUNTIME=local`);
  return value;
};

/**
 * The lake. Locally, `credentials` are the caller's (its role's key, so the local S3 authorises
 * it as that role); on AWS the function's role credentials come from its environment.
 */
export const createObjectStore = (config: Config, credentials?: LocalCredentials): ObjectStore => {
  const client =
    config.runtime === 'local'
      ? createLocalS3Client(required(config.s3Endpoint, 'S3_ENDPOINT'), config.region, credentials)
      : new S3Client({ region: config.region });
  return new S3ObjectStore(client, config.lakeBucket);
};

/**
 * The model endpoint. Locally, `credentials` are the caller's (its role's key, so the local
 * endpoint server authorises InvokeEndpoint as that role); on AWS the function's own.
 */
export const createModelEndpoint = (
  config: Config,
  credentials?: LocalCredentials,
): ModelEndpoint => {
  const local = config.runtime === 'local';
  return new SageMakerEndpoint({
    region: config.region,
    endpointName: config.endpointName,
    url: local
      ? required(config.sagemakerRuntimeEndpoint, 'SAGEMAKER_RUNTIME_ENDPOINT')
      : undefined,
    // Without a role's key, the twin's own (not enforced); the SDK needs credentials either way.
    credentials: local ? (credentials ?? LOCAL_S3_CREDENTIALS) : undefined,
  });
};

/**
 * What the steps that judge a run against the serving model read (check-drift, score-ab): the
 * lake, the endpoint, and the serving card uncached, so each run sees the current champion.
 */
export const createChampionDeps = (
  config: Config,
): { store: ObjectStore; endpoint: ModelEndpoint; modelCard: ModelCardSource } => {
  const store = createObjectStore(config);
  const modelCard = cachedModelCard(store, 0);
  return {
    store,
    // An engine champion is scored in process, from its artifact (no endpoint serves it).
    endpoint: servingEndpoint(createModelEndpoint(config), new InProcessEngine(store), modelCard),
    modelCard,
  };
};

// Configuration: read once from the environment, validated, with defaults for the local runtime.
import { z } from 'zod';
import { ConfigError } from '../../core/errors.js';

const Config = z.object({
  SMOGCAST_RUNTIME: z.enum(['local', 'aws']).default('local'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  LAKE_BUCKET: z.string().min(3).default('smogcast-lake'),
  /** URL of the local S3-compatible server; unset on AWS. */
  S3_ENDPOINT: z.url().optional(),
  /** URL of the local SageMaker Runtime stand-in; unset on AWS. */
  SAGEMAKER_RUNTIME_ENDPOINT: z.url().optional(),
  ENDPOINT_NAME: z.string().min(1).default('smogcast'),
  PREDICTION_LENGTH: z.coerce.number().int().min(1).max(720).default(24),
  /** Hours of history kept per device in context/ and sent to the endpoint. */
  CONTEXT_HOURS: z.coerce
    .number()
    .int()
    .min(24)
    .max(24 * 90)
    .default(336),
});

export type Config = {
  runtime: 'local' | 'aws';
  region: string;
  lakeBucket: string;
  s3Endpoint: string | undefined;
  sagemakerRuntimeEndpoint: string | undefined;
  endpointName: string;
  predictionLength: number;
  contextHours: number;
};

export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const parsed = Config.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${detail}`);
  }
  const c = parsed.data;
  return {
    runtime: c.SMOGCAST_RUNTIME,
    region: c.AWS_REGION,
    lakeBucket: c.LAKE_BUCKET,
    s3Endpoint: c.S3_ENDPOINT,
    sagemakerRuntimeEndpoint: c.SAGEMAKER_RUNTIME_ENDPOINT,
    endpointName: c.ENDPOINT_NAME,
    predictionLength: c.PREDICTION_LENGTH,
    contextHours: c.CONTEXT_HOURS,
  };
};

/** Credentials the local S3-compatible server accepts (s3rver takes only these). */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

// Configuration of every Lambda: read once from the environment, validated, failing fast with a
// ConfigError that names the variable. The runtime kind has no default: serverless.yml sets
// SMOGCAST_RUNTIME=aws for every function and the local runtime sets local, so a function that
// was deployed or started without it stops at its first invocation instead of guessing.
import { z } from 'zod';
import type { ContextLayout } from '../../core/context-shards.js';
import { ConfigError } from '../../core/errors.js';

/** Which browser origins may call the API: '*', or an exact list. Empty = no CORS headers. */
export interface CorsPolicy {
  origins: readonly string[];
}

/**
 * `CORS_ALLOW_ORIGINS`: "*" or a comma-separated list of origins. A misspelt origin is a
 * configuration error worth failing on at start, not a silent CORS failure in a browser later.
 */
const CorsOrigins = z
  .string()
  .optional()
  .transform((raw, ctx): string[] => {
    const origins = (raw ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o.length > 0);
    for (const origin of origins) {
      if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
        ctx.addIssue({
          code: 'custom',
          message: `"${origin}" is not "*" or an origin like https://example.org`,
        });
      }
    }
    return origins;
  });

const Env = z.object({
  SMOGCAST_RUNTIME: z.enum(['local', 'aws'], {
    error: (issue) =>
      issue.input === undefined
        ? 'missing: set "aws" (serverless.yml does) or "local" (the local runtime does)'
        : `must be "aws" or "local", got "${String(issue.input)}"`,
  }),
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
  /** Page shards of the hot path (objects update-context writes per delivery). */
  CONTEXT_SHARDS: z.coerce.number().int().min(1).max(4096).default(32),
  /** History shards: a multiple of CONTEXT_SHARDS, about one per 10-20 devices. */
  CONTEXT_HISTORY_SHARDS: z.coerce.number().int().min(1).max(65_536).default(1024),
  CORS_ALLOW_ORIGINS: CorsOrigins,
  /** A device's served forecasts are sampled for realised accuracy every this many hours. */
  ACCURACY_SAMPLE_PERIOD_HOURS: z.coerce.number().int().min(1).max(168).default(6),
});

export type RuntimeKind = 'local' | 'aws';

export interface Config {
  runtime: RuntimeKind;
  region: string;
  lakeBucket: string;
  s3Endpoint: string | undefined;
  sagemakerRuntimeEndpoint: string | undefined;
  endpointName: string;
  predictionLength: number;
  contextHours: number;
  /** The hot path's shard layout (core/context-shards.ts). */
  context: ContextLayout;
  cors: CorsPolicy;
  accuracySamplePeriodHours: number;
}

export const loadConfig = (env: Record<string, string | undefined>): Config => {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${detail}`);
  }
  const c = parsed.data;
  if (c.CONTEXT_HISTORY_SHARDS % c.CONTEXT_SHARDS !== 0) {
    throw new ConfigError(
      `invalid configuration: CONTEXT_HISTORY_SHARDS (${c.CONTEXT_HISTORY_SHARDS}) must be a multiple of CONTEXT_SHARDS (${c.CONTEXT_SHARDS})`,
    );
  }
  return {
    runtime: c.SMOGCAST_RUNTIME,
    region: c.AWS_REGION,
    lakeBucket: c.LAKE_BUCKET,
    s3Endpoint: c.S3_ENDPOINT,
    sagemakerRuntimeEndpoint: c.SAGEMAKER_RUNTIME_ENDPOINT,
    endpointName: c.ENDPOINT_NAME,
    predictionLength: c.PREDICTION_LENGTH,
    contextHours: c.CONTEXT_HOURS,
    context: {
      shards: c.CONTEXT_SHARDS,
      historyShards: c.CONTEXT_HISTORY_SHARDS,
      contextHours: c.CONTEXT_HOURS,
    },
    cors: { origins: c.CORS_ALLOW_ORIGINS },
    accuracySamplePeriodHours: c.ACCURACY_SAMPLE_PERIOD_HOURS,
  };
};

// The SageMaker API request shapes the retrain state machine sends (validated, since the local
// runner hands them over as plain JSON) and the response shapes it reads back. Timestamps are ISO
// strings: these objects travel through state machine JSON and the persisted state file.
import { z } from 'zod';
import { ValidationException } from '../errors.js';
import { DeploymentConfig } from './deployment-config.js';

export const ACCOUNT_ID = '000000000000';
export const REGION = 'us-east-1';

/** SageMaker's resource-name rule (training jobs, models, configs, endpoints). */
const ResourceName = z
  .string()
  .regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$');
const S3Uri = z.string().regex(/^s3:\/\/[^/]+\/.*$/, 'must be an s3:// URI');

/** A non-empty list of per-variant entries, each led by the variant's name. */
const perVariant = <T extends z.ZodRawShape>(fields: T) =>
  z.array(z.object({ VariantName: ResourceName, ...fields })).min(1);

export const CreateTrainingJobRequest = z.object({
  TrainingJobName: ResourceName,
  AlgorithmSpecification: z.object({
    TrainingImage: z.string().optional(),
    TrainingInputMode: z.enum(['File', 'Pipe', 'FastFile']).optional(),
  }),
  RoleArn: z.string().min(20),
  HyperParameters: z.record(z.string(), z.string()).optional(),
  InputDataConfig: z
    .array(
      z.object({
        ChannelName: z.string().regex(/^[A-Za-z0-9.\-_]+$/),
        ContentType: z.string().optional(),
        DataSource: z.object({
          S3DataSource: z.object({
            S3DataType: z.enum(['S3Prefix', 'ManifestFile', 'AugmentedManifestFile']),
            S3Uri,
            S3DataDistributionType: z.string().optional(),
          }),
        }),
      }),
    )
    .min(1),
  OutputDataConfig: z.object({ S3OutputPath: S3Uri }),
  ResourceConfig: z.record(z.string(), z.unknown()).optional(),
  StoppingCondition: z.record(z.string(), z.unknown()).optional(),
});
export type CreateTrainingJobRequest = z.infer<typeof CreateTrainingJobRequest>;

export const CreateModelRequest = z.object({
  ModelName: ResourceName,
  PrimaryContainer: z.object({ Image: z.string().optional(), ModelDataUrl: S3Uri }),
  ExecutionRoleArn: z.string().optional(),
});

export const CreateEndpointConfigRequest = z.object({
  EndpointConfigName: ResourceName,
  ProductionVariants: perVariant({
    ModelName: ResourceName,
    InitialInstanceCount: z.number().int().min(1).optional(),
    InstanceType: z.string().optional(),
    InitialVariantWeight: z.number().min(0).default(1),
  }).max(10),
});

export const EndpointRequest = z.object({
  EndpointName: ResourceName,
  EndpointConfigName: ResourceName,
});
export const UpdateEndpointRequest = EndpointRequest.extend({
  DeploymentConfig: DeploymentConfig.optional(),
  /** Reuse the endpoint's LastDeploymentConfig when DeploymentConfig is absent. */
  RetainDeploymentConfig: z.boolean().optional(),
});
export const UpdateEndpointWeightsAndCapacitiesRequest = z.object({
  EndpointName: ResourceName,
  DesiredWeightsAndCapacities: perVariant({
    DesiredWeight: z.number().min(0).optional(),
    DesiredInstanceCount: z.number().int().min(0).optional(),
  }),
});
export const DescribeEndpointRequest = z.object({ EndpointName: ResourceName });
export const DeleteEndpointRequest = DescribeEndpointRequest;
export const DescribeTrainingJobRequest = z.object({ TrainingJobName: ResourceName });

/** Parses a request or throws SageMaker's ValidationException naming every bad field. */
export const parseRequest = <S extends z.ZodType>(schema: S, request: unknown): z.infer<S> => {
  const parsed = schema.safeParse(request);
  if (parsed.success) return parsed.data;
  const detail = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`)
    .join('; ');
  throw new ValidationException(`${parsed.error.issues.length} validation error(s): ${detail}`);
};

export const arn = (resource: string, name: string): string =>
  `arn:aws:sagemaker:${REGION}:${ACCOUNT_ID}:${resource}/${name.toLowerCase()}`;

export type TrainingJobStatus = 'InProgress' | 'Completed' | 'Failed';

export type TrainingJobDescription = {
  TrainingJobName: string;
  TrainingJobArn: string;
  TrainingJobStatus: TrainingJobStatus;
  SecondaryStatus: string;
  FailureReason?: string;
  ModelArtifacts?: { S3ModelArtifacts: string };
  HyperParameters: Record<string, string>;
  AlgorithmSpecification: CreateTrainingJobRequest['AlgorithmSpecification'];
  RoleArn: string;
  InputDataConfig: CreateTrainingJobRequest['InputDataConfig'];
  OutputDataConfig: CreateTrainingJobRequest['OutputDataConfig'];
  FinalMetricDataList: Array<{ MetricName: string; Value: number; Timestamp: string }>;
  CreationTime: string;
  TrainingStartTime: string;
  TrainingEndTime?: string;
};

export type ModelRecord = {
  ModelName: string;
  ModelArn: string;
  PrimaryContainer: { Image?: string; ModelDataUrl: string };
  ExecutionRoleArn?: string;
  CreationTime: string;
};

export type EndpointConfigRecord = {
  EndpointConfigName: string;
  EndpointConfigArn: string;
  ProductionVariants: z.infer<typeof CreateEndpointConfigRequest>['ProductionVariants'];
  CreationTime: string;
};

export type EndpointStatus = 'Creating' | 'Updating' | 'InService' | 'Failed' | 'Deleting';

/** ProductionVariantStatus: the deployment stage of a variant's fleet. */
export type VariantStatus = {
  Status: 'Creating' | 'Updating' | 'Deleting' | 'ActivatingTraffic' | 'Baking';
  StatusMessage?: string;
  StartTime: string;
};

/** A blue/green update in flight (persisted, so a restart can roll it back). */
export type InFlightDeployment = {
  /** The green fleet's config. */
  configName: string;
  startTime: string;
  /** Green instances taking traffic, of the green fleet's total; share = active / total. */
  activeInstances: number;
  totalInstances: number;
  share: number;
  stage: VariantStatus;
};

/** A line of the endpoint's deployment log (local only; on AWS: CloudWatch events and logs). */
export type EndpointEvent = { Time: string; Type: string; Message: string };

/** What the control plane remembers about an endpoint. */
export type EndpointRecord = {
  EndpointName: string;
  EndpointArn: string;
  EndpointStatus: EndpointStatus;
  /** The config that serves traffic; absent until the first deployment loaded. */
  servingConfigName?: string;
  /** The config being deployed while Creating/Updating. */
  pendingConfigName?: string;
  /** The blue/green update in flight, while Updating with a serving config. */
  deployment?: InFlightDeployment;
  LastDeploymentConfig?: DeploymentConfig;
  /** Weights and instance counts set by UpdateEndpointWeightsAndCapacities on the serving config. */
  desiredWeights?: Record<string, number>;
  desiredInstanceCounts?: Record<string, number>;
  events?: EndpointEvent[];
  FailureReason?: string;
  CreationTime: string;
  LastModifiedTime: string;
};

export type ProductionVariantSummary = {
  VariantName: string;
  CurrentWeight: number;
  DesiredWeight: number;
  CurrentInstanceCount: number;
  DesiredInstanceCount: number;
  VariantStatus?: VariantStatus[];
};

export type DescribeEndpointResponse = {
  EndpointName: string;
  EndpointArn: string;
  EndpointConfigName: string;
  EndpointStatus: EndpointStatus;
  ProductionVariants: ProductionVariantSummary[];
  FailureReason?: string;
  LastDeploymentConfig?: DeploymentConfig;
  PendingDeploymentSummary?: {
    EndpointConfigName: string;
    ProductionVariants?: ProductionVariantSummary[];
    StartTime?: string;
  };
  CreationTime: string;
  LastModifiedTime: string;
};

// The local SageMaker answers a request that breaks SageMaker's API model with
// ValidationException and the member path, before it acts on it, as the service does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../../functions/common/adapters/memory-object-store.js';
import { botocorePackage } from '../../../../local/api-models/botocore.js';
import { ValidationException } from '../../../../local/sagemaker/errors.js';
import { LocalSageMaker } from '../../../../local/sagemaker/local-sagemaker.js';

describe('local SageMaker API contract', () => {
  let workDir: string;
  let sagemaker: LocalSageMaker;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'smogcast-api-contract-'));
    sagemaker = await LocalSageMaker.open({ store: new MemoryObjectStore('lake'), workDir });
  });

  afterAll(async () => {
    await sagemaker?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it('rejects an endpoint config whose instance type SageMaker does not have', async () => {
    // Act
    const attempt = sagemaker.createEndpointConfig({
      EndpointConfigName: 'c1',
      ProductionVariants: [
        { VariantName: 'primary', ModelName: 'm1', InstanceType: 'local', InitialInstanceCount: 1 },
      ],
    });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    await expect(attempt).rejects.toThrowError(
      "Value 'local' at 'productionVariants.1.member.instanceType' failed to satisfy constraint",
    );
  });

  it('rejects a training job without the members SageMaker requires', async () => {
    // Act
    const attempt = sagemaker.createTrainingJob({
      TrainingJobName: 'j1',
      AlgorithmSpecification: { TrainingImage: 'local/deepar', TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::000000000000:role/smogcast-local-sagemaker',
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://lake/deepar/' } },
        },
      ],
      OutputDataConfig: { S3OutputPath: 's3://lake/models/artifacts/' },
    });

    // Assess
    await expect(attempt).rejects.toThrowError(
      "2 validation errors detected: Value null at 'resourceConfig' failed to satisfy constraint: Member must not be null; Value null at 'stoppingCondition'",
    );
  });

  it('rejects a member the operation does not define', async () => {
    // Act
    const attempt = sagemaker.describeEndpoint({ EndpointName: 'smogcast', Verbose: true });

    // Assess
    await expect(attempt).rejects.toThrowError(
      "Value true at 'verbose' failed to satisfy constraint: Member is not defined in the API",
    );
  });

  describe("with botocore's lengths, ranges and patterns", () => {
    const trainingJob = (TrainingJobName: string) => ({
      TrainingJobName,
      AlgorithmSpecification: { TrainingImage: 'local/deepar', TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::000000000000:role/smogcast-local-sagemaker',
      InputDataConfig: [
        {
          ChannelName: 'train',
          DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://lake/deepar/' } },
        },
      ],
      OutputDataConfig: { S3OutputPath: 's3://lake/models/artifacts/' },
      ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    });

    it('has a botocore to read them from (python3-botocore, which .ci/run installs)', () => {
      expect(botocorePackage(), 'no botocore: apt-get install python3-botocore').not.toBeNull();
    });

    it('rejects a training job name outside its pattern, naming the member and the model', async () => {
      // Act
      const attempt = sagemaker.createTrainingJob(trainingJob('smogcast_2026'));

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrowError(
        /Value 'smogcast_2026' at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression pattern: \^?\[a-zA-Z0-9\]\(-\*\[a-zA-Z0-9\]\)\{0,62\}/,
      );
      await expect(attempt).rejects.toThrowError(
        /\[API models: aws-sdk [\d.]+ sagemaker-2017-07-24\.min\.json \+ botocore [\w.+-]+ sagemaker\/2017-07-24\]$/,
      );
    });

    it('rejects a training job name longer than 63 characters', async () => {
      // Act
      const attempt = sagemaker.createTrainingJob(trainingJob('a'.repeat(64)));

      // Assess
      await expect(attempt).rejects.toThrowError(
        /at 'trainingJobName' failed to satisfy constraint: Member must have length less than or equal to 63/,
      );
    });

    it('rejects an instance count below its range', async () => {
      // Act
      const attempt = sagemaker.createEndpointConfig({
        EndpointConfigName: 'c0',
        ProductionVariants: [
          {
            VariantName: 'primary',
            ModelName: 'm1',
            InstanceType: 'ml.m5.large',
            InitialInstanceCount: 0,
          },
        ],
      });

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrowError(
        "1 validation error detected: Value 0 at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
    });

    it('rejects more rollback alarms than the list allows', async () => {
      // Act
      const attempt = sagemaker.updateEndpoint({
        EndpointName: 'smogcast',
        EndpointConfigName: 'c1',
        DeploymentConfig: {
          AutoRollbackConfiguration: {
            Alarms: Array.from({ length: 11 }, (_, i) => ({ AlarmName: `alarm-${i}` })),
          },
        },
      });

      // Assess
      await expect(attempt).rejects.toThrowError(
        "Value a list at 'deploymentConfig.autoRollbackConfiguration.alarms' failed to satisfy constraint: Member must have length less than or equal to 10",
      );
    });
  });

  it('still answers a valid request as before', async () => {
    // Act
    const attempt = sagemaker.describeEndpoint({ EndpointName: 'missing' });

    // Assess: past the contract, the control plane's own answer (an unknown endpoint).
    await expect(attempt).rejects.toThrowError(/missing/);
    await expect(attempt).rejects.not.toThrowError(/validation error/);
  });
});

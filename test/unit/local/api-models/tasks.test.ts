// Task Parameters, after substitution, checked against the API each Resource calls, before the
// local twin of the service runs: a violation fails the Task as `<Service>.ValidationException`.
import { describe, expect, it } from 'vitest';
import {
  checkedTask,
  TaskParametersError,
  taskOperation,
} from '../../../../local/api-models/tasks.js';
import { loadRetrainDefinition } from '../../../../local/retrain-runner.js';
import { DEFAULT_POLICY, localSubstitutions } from '../../../../local/retrain-service.js';
import { RETRAIN_SETTINGS } from '../../../fixtures/retrain-settings.js';

const SETTINGS = RETRAIN_SETTINGS;

describe('taskOperation', () => {
  it('finds the API operation of every Task in the retrain definition', async () => {
    // Prepare
    const definition = await loadRetrainDefinition(localSubstitutions(SETTINGS, DEFAULT_POLICY));
    const tasks = Object.values(
      definition.States as Record<string, { Type: string; Resource?: string }>,
    )
      .filter((s) => s.Type === 'Task')
      .map((s) => s.Resource as string);

    // Act
    const operations = new Set(tasks.map((r) => JSON.stringify(taskOperation(r))));

    // Assess
    expect(
      [...operations]
        .map((o) => JSON.parse(o))
        .sort((a, b) => a.operation.localeCompare(b.operation)),
    ).toEqual([
      { service: 's3', operation: 'CopyObject' },
      { service: 'sagemaker', operation: 'CreateEndpoint' },
      { service: 'sagemaker', operation: 'CreateEndpointConfig' },
      { service: 'sagemaker', operation: 'CreateModel' },
      { service: 'sagemaker', operation: 'CreateTrainingJob' },
      { service: 'sagemaker', operation: 'DeleteEndpoint' },
      // CloudWatch's model file is named by its endpoint prefix, monitoring.
      { service: 'monitoring', operation: 'DescribeAlarms' },
      { service: 'sagemaker', operation: 'DescribeEndpoint' },
      // Step Functions' model file is named by its endpoint prefix, states.
      { service: 'states', operation: 'DescribeExecution' },
      { service: 'lambda', operation: 'Invoke' },
      { service: 'sns', operation: 'Publish' },
      { service: 'glue', operation: 'StartJobRun' },
      { service: 'sagemaker', operation: 'UpdateEndpoint' },
      { service: 'sagemaker', operation: 'UpdateEndpointWeightsAndCapacities' },
    ]);
  });

  it('refuses a Resource with no API model behind it', () => {
    expect(() => taskOperation('arn:aws:states:::sagemaker:createEndpointz')).toThrowError(
      /no AWS API model/,
    );
    expect(() => taskOperation('arn:aws:lambda:us-east-1:000000000000:function:f')).toThrowError(
      /no AWS API model/,
    );
  });
});

describe('checkedTask', () => {
  const calls: unknown[] = [];
  const handler = async (input: unknown) => {
    calls.push(input);
    return { ok: true };
  };

  it('hands valid Parameters to the local twin', async () => {
    // Prepare
    const task = checkedTask('CreateModel', 'arn:aws:states:::sagemaker:createModel', handler);
    const input = {
      ModelName: 'smogcast-model-1',
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/sm',
      PrimaryContainer: { Image: 'i', ModelDataUrl: 's3://lake/models/m.tar.gz' },
    };

    // Act
    const result = await task(input);

    // Assess
    expect(result).toEqual({ ok: true });
    expect(calls.at(-1)).toEqual(input);
  });

  it('fails the Task as SageMaker.ValidationException, with the state and member path', async () => {
    // Prepare
    const task = checkedTask('Train', 'arn:aws:states:::sagemaker:createTrainingJob.sync', handler);
    const before = calls.length;

    // Act
    const attempt = task({
      TrainingJobName: 'j',
      AlgorithmSpecification: { TrainingImage: 'i', TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::000000000000:role/sm',
      OutputDataConfig: { S3OutputPath: 's3://lake/models/' },
      ResourceConfig: { InstanceCount: 1, InstanceType: 'local', VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
    });

    // Assess
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskParametersError);
    expect((error as Error).name).toBe('SageMaker.ValidationException');
    expect((error as Error).message).toMatch(
      /^Train: 1 validation error detected: Value 'local' at 'resourceConfig\.instanceType'/,
    );
    expect(calls.length).toBe(before);
  });

  it("fails the Task on botocore's lengths and patterns too, naming the member and the models", async () => {
    // Prepare
    const task = checkedTask('Train', 'arn:aws:states:::sagemaker:createTrainingJob.sync', handler);
    const before = calls.length;

    // Act
    const error = await task({
      TrainingJobName: 'smogcast_run_1',
      AlgorithmSpecification: { TrainingImage: 'i', TrainingInputMode: 'File' },
      RoleArn: 'arn:aws:iam::000000000000:role/sm',
      OutputDataConfig: { S3OutputPath: 's3://lake/models/' },
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 0 },
    }).catch((e: unknown) => e);

    // Assess
    expect((error as Error).name).toBe('SageMaker.ValidationException');
    const message = (error as Error).message;
    expect(message).toMatch(
      /^Train: 2 validation errors detected: Value 'smogcast_run_1' at 'trainingJobName'/,
    );
    expect(message).toContain(
      "Value 0 at 'stoppingCondition.maxRuntimeInSeconds' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    expect(message).toMatch(/\[API models: aws-sdk .* \+ botocore .* sagemaker\/2017-07-24\]$/);
    expect(calls.length).toBe(before);
  });

  it('names the service of the Resource in the error', async () => {
    // Prepare
    const task = checkedTask('Notify', 'arn:aws:states:::sns:publish', handler);

    // Act
    const error = await task({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t' }).catch(
      (e: unknown) => e,
    );

    // Assess
    expect((error as Error).name).toBe('SNS.ValidationException');
    expect((error as Error).message).toContain("Value null at 'message'");
  });
});

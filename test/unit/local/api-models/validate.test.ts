// Requests checked against SageMaker's published API model (aws-sdk's apis/ and declarations):
// what the service rejects is rejected here, with the member path and the constraint.
import { describe, expect, it } from 'vitest';
import { apiModel } from '../../../../local/api-models/model.js';
import { requestViolations, validationMessage } from '../../../../local/api-models/validate.js';

const VALID_CONFIG = {
  EndpointConfigName: 'smogcast-config-1',
  ProductionVariants: [
    {
      VariantName: 'primary',
      ModelName: 'smogcast-model-1',
      InstanceType: 'ml.m5.large',
      InitialInstanceCount: 2,
      InitialVariantWeight: 1,
    },
  ],
};

const variant = (changes: Record<string, unknown>) => ({
  ...VALID_CONFIG,
  ProductionVariants: [{ ...VALID_CONFIG.ProductionVariants[0], ...changes }],
});

describe('SageMaker API model', () => {
  it('comes from the aws-sdk package, with its operations and enum value sets', () => {
    // Act
    const model = apiModel('sagemaker');

    // Assess
    expect(model.uid).toBe('sagemaker-2017-07-24');
    expect(Object.keys(model.operations)).toEqual(
      expect.arrayContaining(['CreateTrainingJob', 'CreateEndpointConfig', 'UpdateEndpoint']),
    );
    expect(model.enums.get('TrainingInputMode')).toEqual(['Pipe', 'File', 'FastFile']);
    expect(model.inputTypes.get('CreateEndpointConfig')).toBe('CreateEndpointConfigInput');
  });
});

describe('requestViolations', () => {
  it('passes a valid request', () => {
    expect(requestViolations('sagemaker', 'CreateEndpointConfig', VALID_CONFIG)).toEqual([]);
  });

  it('passes a blue/green UpdateEndpoint with its rollback alarms', () => {
    // Prepare
    const request = {
      EndpointName: 'smogcast',
      EndpointConfigName: 'smogcast-config-2',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            WaitIntervalInSeconds: 600,
            CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 },
          },
          TerminationWaitInSeconds: 300,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'smogcast-5xx' }] },
      },
    };

    // Act
    const violations = requestViolations('sagemaker', 'UpdateEndpoint', request);

    // Assess
    expect(violations).toEqual([]);
  });

  it('rejects a missing required member, naming it', () => {
    // Act
    const violations = requestViolations('sagemaker', 'CreateEndpoint', { EndpointName: 'e' });

    // Assess
    expect(violations).toEqual([
      {
        path: 'endpointConfigName',
        message:
          "Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null",
      },
    ]);
  });

  it('rejects a missing required member of a list item, with its 1-based path', () => {
    // Prepare
    const request = variant({ VariantName: undefined });

    // Act
    const violations = requestViolations('sagemaker', 'CreateEndpointConfig', request);

    // Assess
    expect(violations.map((v) => v.path)).toEqual(['productionVariants.1.member.variantName']);
  });

  it('rejects a value outside the enum, listing the values', () => {
    // Act
    const violations = requestViolations(
      'sagemaker',
      'CreateEndpointConfig',
      variant({ InstanceType: 'local' }),
    );

    // Assess
    expect(violations).toHaveLength(1);
    expect(violations[0]?.path).toBe('productionVariants.1.member.instanceType');
    expect(violations[0]?.message).toMatch(
      /^Value 'local' at 'productionVariants\.1\.member\.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[.*ml\.m5\.large/,
    );
  });

  it('rejects an enum violation deep in a deployment config', () => {
    // Prepare
    const request = {
      EndpointName: 'smogcast',
      EndpointConfigName: 'c',
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'BLUE', WaitIntervalInSeconds: 60 },
        },
      },
    };

    // Act
    const violations = requestViolations('sagemaker', 'UpdateEndpoint', request);

    // Assess
    expect(violations.map((v) => v.path)).toEqual([
      'deploymentConfig.blueGreenUpdatePolicy.trafficRoutingConfiguration.type',
    ]);
    expect(violations[0]?.message).toContain('[ALL_AT_ONCE, CANARY, LINEAR]');
  });

  it('rejects members of the wrong type', () => {
    // Prepare
    const request = variant({ InitialInstanceCount: 1.5, InitialVariantWeight: '1' });

    // Act
    const violations = requestViolations('sagemaker', 'CreateEndpointConfig', request);

    // Assess
    expect(violations.map((v) => [v.path, v.message.split(': ').at(-1)])).toEqual([
      ['productionVariants.1.member.initialInstanceCount', 'Member must be an integer'],
      ['productionVariants.1.member.initialVariantWeight', 'Member must be a number'],
    ]);
  });

  it('rejects a member the API does not define', () => {
    // Act
    const violations = requestViolations('sagemaker', 'DescribeEndpoint', {
      EndpointName: 'smogcast',
      EndpointConfigName: 'c',
    });

    // Assess
    expect(violations.map((v) => v.path)).toEqual(['endpointConfigName']);
    expect(violations[0]?.message).toContain('Member is not defined in the API');
  });

  it('checks map values against their shape', () => {
    // Act
    const violations = requestViolations('sagemaker', 'CreateTrainingJob', {
      TrainingJobName: 'j',
      AlgorithmSpecification: { TrainingInputMode: 'File', TrainingImage: 'i' },
      RoleArn: 'arn:aws:iam::000000000000:role/r',
      OutputDataConfig: { S3OutputPath: 's3://b/p/' },
      ResourceConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 10 },
      StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      HyperParameters: { epochs: 1 },
    });

    // Assess
    expect(violations.map((v) => v.path)).toEqual(['hyperParameters.epochs']);
  });

  it('counts the violations in one message, as AWS does', () => {
    // Prepare
    const violations = requestViolations('sagemaker', 'CreateEndpointConfig', {
      ProductionVariants: [{ VariantName: 'p', InstanceType: 'ml.nope' }],
    });

    // Act
    const message = validationMessage(violations);

    // Assess
    expect(message).toMatch(/^2 validation errors detected: Value null at 'endpointConfigName'/);
    expect(message).toContain("Value 'ml.nope' at 'productionVariants.1.member.instanceType'");
  });

  it('checks the other services a state machine calls, by their models', () => {
    expect(requestViolations('lambda', 'Invoke', { FunctionName: 'f', Payload: { a: 1 } })).toEqual(
      [],
    );
    expect(
      requestViolations('lambda', 'Invoke', { FunctionName: 'f', InvocationType: 'Later' }).map(
        (v) => v.path,
      ),
    ).toEqual(['invocationType']);
    expect(requestViolations('glue', 'StartJobRun', { Arguments: {} }).map((v) => v.path)).toEqual([
      'jobName',
    ]);
    expect(requestViolations('sns', 'Publish', { TopicArn: 'arn' }).map((v) => v.path)).toEqual([
      'message',
    ]);
  });
});

describe('requestViolations of a camelCase API (Step Functions)', () => {
  it('takes the PascalCase parameters Step Functions sends, and still names what is missing', () => {
    // Act
    const pascal = requestViolations('states', 'DescribeExecution', {
      ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:run-1',
    });
    const missing = requestViolations('states', 'DescribeExecution', {});
    const unknown = requestViolations('states', 'DescribeExecution', {
      ExecutionArn: 'arn:aws:states:us-east-1:123456789012:execution:m:run-1',
      Status: 'RUNNING',
    });

    // Assess
    expect(pascal).toEqual([]);
    expect(missing.map((v) => [v.path, v.message])).toEqual([
      [
        'executionArn',
        "Value null at 'executionArn' failed to satisfy constraint: Member must not be null",
      ],
    ]);
    expect(unknown.map((v) => [v.path, v.message])).toEqual([
      [
        'status',
        "Value 'RUNNING' at 'status' failed to satisfy constraint: Member is not defined in the API",
      ],
    ]);
  });
});

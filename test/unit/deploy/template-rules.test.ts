// The template rules on minimal templates: each rule accepts the valid form and names what is
// wrong in the form AWS refuses (the forms the packaged template had before they were fixed).
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { SpecDatabase } from '@aws-cdk/service-spec-types';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type CfnTemplate,
  checkAgainstSpecification,
  checkCanarySize,
  checkCrawlerPolicies,
  checkQueueEventSources,
  checkVariantAlarms,
} from '../../../deploy/template-rules.js';
import { dollarBrace } from '../../fixtures/dollar-brace.js';

const crawler = (schemaChangePolicy: Record<string, string>): CfnTemplate => ({
  Resources: {
    Crawler: {
      Type: 'AWS::Glue::Crawler',
      Properties: {
        Role: 'arn:aws:iam::123456789012:role/crawler',
        Targets: { S3Targets: [{ Path: 's3://lake/curated/' }] },
        SchemaChangePolicy: schemaChangePolicy,
        RecrawlPolicy: { RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      },
    },
  },
});

/** A state machine whose first state holds the run's settings, as retrain.asl.json does. */
const machine = (
  definition: Record<string, unknown>,
  substitutions: Record<string, unknown> = {},
  alarms: CfnTemplate['Resources'] = {},
): CfnTemplate => ({
  Resources: {
    Machine: {
      Type: 'AWS::StepFunctions::StateMachine',
      Properties: {
        RoleArn: 'arn:aws:iam::123456789012:role/machine',
        DefinitionString: JSON.stringify(definition),
        DefinitionSubstitutions: substitutions,
      },
    },
    ...alarms,
  },
});

const canaryDefinition = (canarySize: Record<string, unknown>) => ({
  StartAt: 'Configure',
  States: {
    Configure: {
      Type: 'Pass',
      Parameters: {
        deployment: {
          strategy: dollarBrace('Strategy'),
          canaryPercent: dollarBrace('CanaryPercent'),
          instanceCount: dollarBrace('Count'),
        },
      },
      Next: 'CreateConfig',
    },
    CreateConfig: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sagemaker:createEndpointConfig',
      Parameters: {
        EndpointConfigName: 'c',
        ProductionVariants: [
          {
            VariantName: 'primary',
            ModelName: 'm',
            'InitialInstanceCount.$': 'States.StringToJson($.deployment.instanceCount)',
          },
        ],
      },
      Next: 'Choose',
    },
    Choose: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.deployment.strategy', StringEquals: 'canary', Next: 'UpdateCanary' },
      ],
      Default: 'Done',
    },
    UpdateCanary: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sagemaker:updateEndpoint',
      Parameters: {
        EndpointName: 'e',
        EndpointConfigName: 'c',
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'CANARY',
              CanarySize: canarySize,
              WaitIntervalInSeconds: 600,
            },
          },
        },
      },
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
});

const variantAlarm = (variant: string, metric: string) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    Namespace: 'AWS/SageMaker',
    MetricName: metric,
    Dimensions: [
      { Name: 'EndpointName', Value: 'e' },
      { Name: 'VariantName', Value: variant },
    ],
    ComparisonOperator: 'GreaterThanThreshold',
    EvaluationPeriods: 1,
    Threshold: 1,
  },
});

const abDefinition = {
  StartAt: 'CreateConfigAB',
  States: {
    CreateConfigAB: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sagemaker:createEndpointConfig',
      Parameters: {
        EndpointConfigName: 'c',
        ProductionVariants: [
          { VariantName: 'champion', ModelName: 'a', InitialInstanceCount: 1 },
          { VariantName: 'challenger', ModelName: 'b', InitialInstanceCount: 1 },
        ],
      },
      End: true,
    },
  },
};

describe('checkCrawlerPolicies', () => {
  it('refuses CRAWL_NEW_FOLDERS_ONLY with UPDATE_IN_DATABASE, as Glue does', () => {
    // Act
    const findings = checkCrawlerPolicies(
      crawler({ UpdateBehavior: 'UPDATE_IN_DATABASE', DeleteBehavior: 'LOG' }),
    );

    // Assess
    expect(findings.map((f) => f.message)).toEqual([
      'RecrawlBehavior CRAWL_NEW_FOLDERS_ONLY needs SchemaChangePolicy.UpdateBehavior LOG, not UPDATE_IN_DATABASE',
    ]);
  });

  it("refuses Glue's defaults (no SchemaChangePolicy) for a new-folders-only crawler", () => {
    const template = crawler({});
    expect(checkCrawlerPolicies(template).map((f) => f.resource)).toEqual(['Crawler', 'Crawler']);
  });

  it('accepts LOG for both behaviours', () => {
    expect(checkCrawlerPolicies(crawler({ UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' }))).toEqual(
      [],
    );
  });
});

describe('checkCanarySize', () => {
  it('refuses a 25 % canary of two instances: half an instance', () => {
    // Prepare
    const template = machine(
      canaryDefinition({
        Type: 'CAPACITY_PERCENT',
        'Value.$': 'States.StringToJson($.deployment.canaryPercent)',
      }),
      { Strategy: 'canary', CanaryPercent: '25', Count: '2' },
    );

    // Act
    const findings = checkCanarySize(template);

    // Assess
    expect(findings.map((f) => f.message)).toEqual([
      'UpdateCanary: CanarySize 0.5 instances (CAPACITY_PERCENT 25 of 2) is not a whole number',
    ]);
  });

  it('refuses a canary larger than half the fleet', () => {
    const template = machine(canaryDefinition({ Type: 'INSTANCE_COUNT', Value: 2 }), {
      Strategy: 'canary',
      CanaryPercent: '25',
      Count: '2',
    });
    expect(checkCanarySize(template).map((f) => f.message)).toEqual([
      'UpdateCanary: CanarySize 2 of 2 instances is 100 %, outside 0-50 %',
    ]);
  });

  it('accepts one instance of two, and 25 % of four', () => {
    const one = machine(canaryDefinition({ Type: 'INSTANCE_COUNT', Value: 1 }), {
      Strategy: 'canary',
      CanaryPercent: '25',
      Count: '2',
    });
    const quarter = machine(
      canaryDefinition({
        Type: 'CAPACITY_PERCENT',
        'Value.$': 'States.StringToJson($.deployment.canaryPercent)',
      }),
      { Strategy: 'canary', CanaryPercent: '25', Count: '4' },
    );
    expect([...checkCanarySize(one), ...checkCanarySize(quarter)]).toEqual([]);
  });

  it('checks only the update the stage strategy reaches', () => {
    const template = machine(canaryDefinition({ Type: 'CAPACITY_PERCENT', Value: 25 }), {
      Strategy: 'all-at-once',
      CanaryPercent: '25',
      Count: '2',
    });
    expect(checkCanarySize(template)).toEqual([]);
  });
});

describe('checkVariantAlarms', () => {
  it('names each variant without error and latency alarms (only primary watched)', () => {
    // Prepare
    const template = machine(
      abDefinition,
      {},
      {
        PrimaryErrors: variantAlarm('primary', 'Invocation5XXErrors'),
        PrimaryLatency: variantAlarm('primary', 'ModelLatency'),
      },
    );

    // Act
    const findings = checkVariantAlarms(template);

    // Assess
    expect(findings.map((f) => f.message)).toEqual([
      'variant champion has no Invocation5XXErrors alarm',
      'variant champion has no ModelLatency alarm',
      'variant challenger has no Invocation5XXErrors alarm',
      'variant challenger has no ModelLatency alarm',
    ]);
  });

  it('accepts alarms for every variant name', () => {
    const template = machine(
      abDefinition,
      {},
      {
        ChampionErrors: variantAlarm('champion', 'Invocation5XXErrors'),
        ChampionLatency: variantAlarm('champion', 'ModelLatency'),
        ChallengerErrors: variantAlarm('challenger', 'Invocation5XXErrors'),
        ChallengerLatency: variantAlarm('challenger', 'ModelLatency'),
      },
    );
    expect(checkVariantAlarms(template)).toEqual([]);
  });
});

describe('checkAgainstSpecification', () => {
  let db: SpecDatabase;
  beforeAll(async () => {
    db = await loadAwsServiceSpec();
  });

  it('names an unknown resource type', () => {
    const findings = checkAgainstSpecification(db, {
      Resources: { Topic: { Type: 'AWS::SNS::Topics', Properties: {} } },
    });
    expect(findings.map((f) => f.message)).toEqual(['unknown resource type AWS::SNS::Topics']);
  });

  it('names a missing required property and an unknown one, nested definitions included', () => {
    // Prepare: a crawler without its Role, a misspelt property and a misspelt nested one.
    const template: CfnTemplate = {
      Resources: {
        Crawler: {
          Type: 'AWS::Glue::Crawler',
          Properties: {
            Targets: { S3Targets: [{ Path: 's3://lake/curated/', Exclusion: ['_*'] }] },
            RecrawlPolicies: { RecrawlBehavior: 'CRAWL_EVERYTHING' },
          },
        },
      },
    };

    // Act
    const findings = checkAgainstSpecification(db, template);

    // Assess
    expect(findings.map((f) => f.message).sort()).toEqual([
      'Crawler.Targets.S3Targets[0]: unknown property Exclusion',
      'Crawler: Role is required',
      'Crawler: unknown property RecrawlPolicies',
    ]);
  });

  it('names a value of the wrong type and an unknown resource attribute', () => {
    const findings = checkAgainstSpecification(db, {
      Resources: {
        Stream: {
          Type: 'AWS::KinesisFirehose::DeliveryStream',
          DeletionPolice: 'Retain',
          Properties: { DeliveryStreamEncryptionConfigurationInput: 'AWS_OWNED_CMK' },
        },
      },
    });
    expect(findings.map((f) => f.message)).toEqual([
      'unknown resource attribute DeletionPolice',
      'Stream.DeliveryStreamEncryptionConfigurationInput: expected an object',
    ]);
  });

  it('accepts intrinsic functions where a value is resolved at deploy time', () => {
    const findings = checkAgainstSpecification(db, {
      Resources: {
        Topic: {
          Type: 'AWS::SNS::Topic',
          Properties: {
            KmsMasterKeyId: { Ref: 'Key' },
            TopicName: { 'Fn::Sub': `t-${dollarBrace('AWS::Region')}` },
          },
        },
      },
    });
    expect(findings).toEqual([]);
  });
});

describe('checkQueueEventSources', () => {
  const withQueue = (
    queue: Record<string, unknown>,
    mapping: Record<string, unknown>,
  ): CfnTemplate => ({
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: queue },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Timeout: 120 } },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] },
          FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] },
          ...mapping,
        },
      },
    },
  });

  it('accepts a visibility timeout over the function timeout and a window for big batches', () => {
    expect(
      checkQueueEventSources(
        withQueue(
          { VisibilityTimeout: 720 },
          { BatchSize: 20, MaximumBatchingWindowInSeconds: 10 },
        ),
      ),
    ).toEqual([]);
  });

  it('names a queue that would hide messages for less than the function runs, and a batch without a window', () => {
    const findings = checkQueueEventSources(withQueue({}, { BatchSize: 20 }));
    expect(findings.map((f) => f.message)).toEqual([
      "Queue VisibilityTimeout 30 s is less than Fn's Timeout 120 s",
      'BatchSize 20 needs MaximumBatchingWindowInSeconds of at least 1 (is 0)',
    ]);
  });
});

// The retrain definition as CloudFormation will see it: loaded through the deploy loader, with
// every ${Name} placeholder substituted, it must be valid Amazon States Language.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dollarBrace } from '../../fixtures/dollar-brace.js';

const require = createRequire(import.meta.url);

interface AslValidation {
  isValid: boolean;
  errorsText: (separator?: string) => string;
}
type AslValidator = (definition: unknown) => AslValidation;
type DefinitionLoader = (() => string) & { placeholdersIn: (text: string) => string[] };

const validateAsl = require('asl-validator') as AslValidator;
const loadRetrainDefinition = require('../../../deploy/retrain-definition.cjs') as DefinitionLoader;

/** What the CloudFormation DefinitionSubstitutions give in us-east-1, stage dev. */

const SAMPLE_SUBSTITUTIONS: Record<string, string> = {
  LakeBucket: 'smogcast-lake-dev-123456789012-us-east-1',
  EndpointName: 'smogcast-dev',
  PredictionLength: '24',
  ContextLength: '72',
  Epochs: '20',
  Likelihood: 'gaussian',
  HistoryDays: '30',
  GlueJobName: 'smogcast-etl-dev',
  PrepareDeepArFunctionArn:
    'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-prepare-deepar',
  CheckDriftFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-check-drift',
  ScoreABFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-score-ab',
  EvaluateFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-evaluate',
  RecordRunFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-record-run',
  TrainEngineFunctionArn:
    'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-train-engine',
  Algorithm: 'deepar',
  CheckCanaryFunctionArn:
    'arn:aws:lambda:us-east-1:123456789012:function:smogcast-dev-check-canary',
  RetrainExecutionArnPrefix:
    'arn:aws:states:us-east-1:123456789012:execution:smogcast-retrain-dev:',
  EngineCanaryPercent: '10',
  CanaryLossTolerance: '0.1',
  CanaryErrorsAlarmName: 'smogcast-dev-canary-forecast-errors',
  NotificationTopicArn: 'arn:aws:sns:us-east-1:123456789012:smogcast-alarms-dev',
  PsiThreshold: '0.2',
  QualityDriftRatio: '1.5',
  MaxModelAgeHours: '168',
  PromotionMargin: '0.02',
  DeploymentStrategy: 'canary',
  LinearStepPercent: '25',
  BakeSeconds: '600',
  TerminationWaitSeconds: '300',
  EndpointInstanceCount: '2',
  Variant5xxAlarmName: 'smogcast-dev-primary-5xx',
  VariantLatencyAlarmName: 'smogcast-dev-primary-latency',
  DeepArImage: '522234722520.dkr.ecr.us-east-1.amazonaws.com/forecasting-deepar:1',
  SageMakerRoleArn: 'arn:aws:iam::123456789012:role/smogcast-dev-SageMakerExecutionRole',
  TrainingInstanceType: 'ml.m5.large',
  EndpointInstanceType: 'ml.m5.large',
};

/** CloudFormation's substitution: every `${Name}` in every string of the definition. */
const substitute = (value: unknown, values: Record<string, string>): unknown => {
  if (typeof value === 'string') {
    return value.replace(
      /\$\{([A-Za-z][A-Za-z0-9]*)\}/g,
      (whole, name: string) => values[name] ?? whole,
    );
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  }
  return value;
};

describe('retrain.asl.json', () => {
  it('uses only placeholders that serverless.yml knows how to substitute', () => {
    // Prepare
    const text = loadRetrainDefinition();

    // Act
    const placeholders = loadRetrainDefinition.placeholdersIn(text);

    // Assess
    expect(placeholders.length).toBeGreaterThan(0);
    expect(placeholders.filter((name) => !(name in SAMPLE_SUBSTITUTIONS))).toEqual([]);
  });

  it('is valid Amazon States Language once the placeholders are substituted', () => {
    // Prepare
    const definition = substitute(JSON.parse(loadRetrainDefinition()), SAMPLE_SUBSTITUTIONS);

    // Act
    const result = validateAsl(definition);

    // Assess
    expect(JSON.stringify(definition)).not.toContain('${');
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });
});

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
  Next?: string;
  Choices?: Array<{
    Variable?: string;
    BooleanEquals?: boolean;
    Or?: Array<{ StringEquals?: string }>;
    Next: string;
  }>;
  Default?: string;
}

/** Every state reachable from `start` (Next, Choices, Default, Catch), `start` included. */
const reachableFrom = (states: Record<string, AslState>, start: string): Set<string> => {
  const seen = new Set<string>();
  const stack = [start];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const state = states[name];
    if (!state) continue;
    const next = [
      state.Next,
      state.Default,
      ...(state.Choices ?? []).map((c) => c.Next),
      ...(state.Catch ?? []).map((c) => c.Next),
    ];
    for (const n of next) if (n) stack.push(n);
  }
  return seen;
};

describe('retrain.asl.json error handling', () => {
  const states = (JSON.parse(loadRetrainDefinition()) as { States: Record<string, AslState> })
    .States;

  it('catches every Task: no failure ends a run unrecorded (the Record* states after a deploy included)', () => {
    // Act
    const uncaught = Object.entries(states)
      .filter(([, s]) => s.Type === 'Task')
      .filter(([, s]) => !s.Catch?.some((c) => c.ErrorEquals.includes('States.ALL')))
      .map(([name]) => name);

    // Assess
    expect(uncaught).toEqual([]);
  });

  it('restores the previous endpoint config when recording a deployment fails', () => {
    // Act
    const next = [
      'RecordPromoted',
      'RecordABStarted',
      'RecordABChallengerWins',
      'RecordABChampionWins',
    ].map((name) => states[name]?.Catch?.[0]?.Next);

    // Assess
    expect(next).toEqual(Array(4).fill('PreviousConfig?'));
    expect(states.RestorePreviousEndpoint?.Parameters).toEqual({
      'EndpointName.$': '$.endpointName',
      'EndpointConfigName.$': '$.previous.endpointConfigName',
    });
  });

  it('sends a deployment that times out, goes OutOfService or Failed, or cannot be watched through the same restore', () => {
    // Act
    const next = ['EndpointWaitTimedOut', 'EndpointOutOfService', 'EndpointFailed'].map(
      (name) => states[name]?.Next,
    );

    // Assess
    expect(next).toEqual(Array(3).fill('PreviousConfig?'));
    expect(states.DescribeEndpoint?.Catch?.[0]?.Next).toBe('PreviousConfig?');
  });

  it('never sends UpdateEndpoint before the restore has looked at the endpoint', () => {
    // Act: every way into RestorePreviousEndpoint
    const into = Object.entries(states)
      .filter(
        ([, s]) =>
          s.Next === 'RestorePreviousEndpoint' ||
          (s as { Default?: string }).Default === 'RestorePreviousEndpoint' ||
          s.Choices?.some((c) => c.Next === 'RestorePreviousEndpoint'),
      )
      .map(([name]) => name);

    // Assess
    expect(into).toEqual(['RestoreStep?']);
    expect(states['PreviousConfig?']?.Choices?.[0]?.Next).toBe('DescribeBeforeRestore');
  });
});

describe('retrain.asl.json blue/green contract', () => {
  const states = (JSON.parse(loadRetrainDefinition()) as { States: Record<string, AslState> })
    .States;
  const variantsOf = (state: AslState) =>
    ((state.Parameters?.ProductionVariants ?? []) as Array<{ VariantName: string }>).map(
      (v) => v.VariantName,
    );

  it('guards only primary-to-primary updates; variant switches go through a plain update', () => {
    // Prepare: each createEndpointConfig leads to the Pass state that names the target.
    const creates = Object.entries(states).filter(
      ([, s]) => s.Resource === 'arn:aws:states:::sagemaker:createEndpointConfig',
    );
    const switchOf = (state: AslState) =>
      states[state.Next ?? '']?.Parameters?.variantSwitch as boolean | undefined;

    // Act
    const guarded = creates.filter(([, s]) => switchOf(s) === false);
    const switching = creates.filter(([, s]) => switchOf(s) === true);
    const toSwitch = states.ChooseStrategy?.Choices?.find(
      (c) => c.Variable === '$.target.variantSwitch' && c.BooleanEquals === true,
    );

    // Assess: every config is one or the other; the guarded ones keep the variant the rollback
    // alarms watch (VariantName=primary), and the switch carries no DeploymentConfig.
    expect(guarded.length + switching.length).toBe(creates.length);
    expect(guarded.map(([, s]) => variantsOf(s))).toEqual([['primary']]);
    expect(states.ChooseStrategy?.Choices?.[0]).toBe(toSwitch);
    expect(states[toSwitch?.Next ?? '']?.Parameters).toEqual({
      'EndpointName.$': '$.endpointName',
      'EndpointConfigName.$': '$.target.endpointConfigName',
    });
  });
});

describe('retrain.asl.json and the serving pointer at fleet scale', () => {
  const states = (JSON.parse(loadRetrainDefinition()) as { States: Record<string, AslState> })
    .States;
  const s3Tasks = Object.entries(states).filter(([, s]) => s.Resource?.includes(':s3:'));

  it("moves the pointer's bytes inside S3 only: copies between it and its backup, no read or write of its body", () => {
    // Act
    const calls = s3Tasks.map(([name, s]) => ({
      name,
      resource: s.Resource,
      from: s.Parameters?.CopySource ?? s.Parameters?.['CopySource.$'],
      to: s.Parameters?.Key ?? s.Parameters?.['Key.$'],
      ifMatch: s.Parameters?.['CopySourceIfMatch.$'],
    }));

    // Assess: the card names every device (over the 256 KiB payload quota at 10,000 devices).
    const pointer = `${dollarBrace('LakeBucket')}/models/serving.json`;
    // Each run's own backup, taken only if the pointer is still the one check-drift read.
    const backup = `States.Format('${dollarBrace('LakeBucket')}/models/serving.backup/{}.json', $.runId)`;
    expect(calls).toEqual([
      {
        // A canary another run left mid-bake: back to that run's own backup.
        name: 'RestoreLeftoverCanary',
        resource: 'arn:aws:states:::aws-sdk:s3:copyObject',
        from: `States.Format('${dollarBrace('LakeBucket')}/models/serving.backup/{}.json', $.drift.serving.canaryRunId)`,
        to: 'models/serving.json',
        ifMatch: undefined,
      },
      {
        name: 'BackUpServingPointer',
        resource: 'arn:aws:states:::aws-sdk:s3:copyObject',
        from: pointer,
        to: "States.Format('models/serving.backup/{}.json', $.runId)",
        ifMatch: '$.drift.serving.etag',
      },
      {
        name: 'RestoreServingPointer',
        resource: 'arn:aws:states:::aws-sdk:s3:copyObject',
        from: backup,
        to: 'models/serving.json',
        ifMatch: undefined,
      },
      {
        name: 'RestorePointerAfterFailure',
        resource: 'arn:aws:states:::aws-sdk:s3:copyObject',
        from: backup,
        to: 'models/serving.json',
        ifMatch: undefined,
      },
    ]);
  });
});

describe('retrain.asl.json: one rollout at a time', () => {
  const states = (JSON.parse(loadRetrainDefinition()) as { States: Record<string, AslState> })
    .States;

  it("deploys nothing while another run's canary bakes: that run is recorded skipped", () => {
    // Act: where the live statuses of the canary's run lead.
    const ended = states['CanaryRunEnded?'];
    const live = ended?.Choices?.find((c) => c.Or?.some((o) => o.StringEquals === 'RUNNING'));

    // Assess: RUNNING and PENDING_REDRIVE end the run recorded, no step of a deployment reached.
    expect(live?.Or?.map((o) => o.StringEquals).sort()).toEqual(['PENDING_REDRIVE', 'RUNNING']);
    expect([...reachableFrom(states, live?.Next as string)].sort()).toEqual([
      'NotifyFailure',
      'RecordFailure',
      'RecordSkipped',
      'RunFailed',
      'Skipped',
    ]);
  });

  it("restores no pointer over another writer's: a promotion that lost its condition is only recorded", () => {
    // Act
    const lost = (states.RecordCanaryPromoted?.Catch ?? []).find((c) =>
      c.ErrorEquals.includes('ServingPointerChangedError'),
    );

    // Assess: caught before States.ALL (which restores the backup), straight to the record.
    expect(states.RecordCanaryPromoted?.Catch?.[0]).toBe(lost);
    expect(lost?.Next).toBe('RecordFailure');
    expect(states.RecordEngineCanary?.Catch?.[0]).toMatchObject({
      ErrorEquals: ['ServingPointerChangedError'],
      Next: 'ServingPointerChanged',
    });
  });
});

describe('deploy/retrain-definition.cjs', () => {
  it('rejects a dollar-brace form that serverless would try to resolve', () => {
    // Act
    const act = () =>
      loadRetrainDefinition.placeholdersIn(`{"a":"${dollarBrace('self:custom.x')}"}`);

    // Assess
    expect(act).toThrow(/not a plain/);
  });

  it('lists plain placeholders once each, sorted', () => {
    // Act
    const names = loadRetrainDefinition.placeholdersIn(
      `"${dollarBrace('B')}-${dollarBrace('A')}-${dollarBrace('B')}"`,
    );

    // Assess
    expect(names).toEqual(['A', 'B']);
  });
});

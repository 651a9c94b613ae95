// What a first deploy needs from the account, from a stage's params, and the verdict on each need
// from the account's figures.
import { describe, expect, it } from 'vitest';
import {
  type AccountFigures,
  AccountParamsError,
  accountParams,
  accountRequirements,
  anyFailed,
  peakEndpointInstances,
  verdict,
} from '../../../deploy/account-requirements.js';
import { parseArgs, reservedConcurrencyFrom, UsageError } from '../../../deploy/deploy-check.js';
import { dollarBrace } from '../../fixtures/dollar-brace.js';

const PARAMS = {
  trainingInstanceType: 'ml.m5.large',
  endpointInstanceType: 'ml.m5.xlarge',
  endpointInstanceCount: '2',
  deploymentStrategy: 'canary',
  glueWorkerType: 'G.1X',
  glueWorkers: 2,
  apiAccessLogging: false,
};
const DEPLOYMENT = { region: 'us-east-1', deepArRegions: ['us-east-1', 'eu-west-1'] };

const requirement = (id: string, params: Record<string, unknown> = PARAMS, reserved = {}) => {
  const found = accountRequirements(accountParams(params, reserved), DEPLOYMENT).find(
    (r) => r.id === id,
  );
  if (!found) throw new Error(`no requirement ${id}`);
  return found;
};

const figures = (patch: Partial<AccountFigures> = {}): AccountFigures => ({
  quotas: new Map(),
  errors: new Map(),
  ...patch,
});

describe('peakEndpointInstances', () => {
  it('is the old and the new fleet for every blue/green strategy', () => {
    for (const strategy of ['canary', 'linear', 'all-at-once']) {
      const p = accountParams({
        ...PARAMS,
        deploymentStrategy: strategy,
        endpointInstanceCount: 3,
      });
      expect(peakEndpointInstances(p).count).toBe(6);
    }
  });

  it('is champion + challenger beside the primary fleet for A/B', () => {
    const p = accountParams({ ...PARAMS, deploymentStrategy: 'ab' });
    expect(peakEndpointInstances(p)).toMatchObject({ count: 6 });
    expect(peakEndpointInstances(p).why).toContain('champion + challenger (2 × 2)');
  });
});

describe('accountRequirements', () => {
  it('names the SageMaker quotas by instance type, sized from the params', () => {
    expect(requirement('training-instances').need).toEqual({
      kind: 'quota',
      quota: { serviceCode: 'sagemaker', quotaName: 'ml.m5.large for training job usage' },
      atLeast: 1,
    });
    expect(requirement('endpoint-instances').need).toMatchObject({
      quota: { quotaName: 'ml.m5.xlarge for endpoint usage' },
      atLeast: 4,
    });
  });

  it('counts the DPUs of the Glue job and rejects a worker type Glue does not have', () => {
    expect(requirement('glue-worker-type').what).toBe('worker type G.1X × 2 = 2 DPU');
    expect(
      verdict(requirement('glue-worker-type', { ...PARAMS, glueWorkerType: 'G.3X' })).status,
    ).toBe('fail');
  });

  it('needs the API Gateway CloudWatch role only with access logging on', () => {
    expect(requirement('apigateway-cloudwatch-role').need.kind).toBe('offline');
    expect(
      requirement('apigateway-cloudwatch-role', { ...PARAMS, apiAccessLogging: 'true' }).need.kind,
    ).toBe('apigateway-cloudwatch-role');
  });

  it('fails offline in a region without the DeepAR image', () => {
    const [region] = accountRequirements(accountParams(PARAMS), {
      region: 'mx-central-1',
      deepArRegions: ['us-east-1'],
    });
    expect(region?.id).toBe('deepar-region');
    expect(verdict(region as never).status).toBe('fail');
  });

  it('sums the reservations the functions make', () => {
    const r = requirement('lambda-unreserved', PARAMS, {
      'update-context': '5',
      forecast: 3,
      devices: null,
    });
    expect(r.need).toEqual({ kind: 'unreserved-concurrency', reserved: 8, atLeast: 100 });
    expect(r.why).toBe(
      'reservedConcurrency: update-context 5, forecast 3; Lambda refuses a reservation that leaves fewer than 100',
    );
  });

  it('names the param that is wrong', () => {
    expect(() => accountParams({ ...PARAMS, endpointInstanceCount: '0' })).toThrow(
      AccountParamsError,
    );
    expect(() => accountParams({ ...PARAMS, endpointInstanceCount: '1.5' })).toThrow(
      /params\.endpointInstanceCount/,
    );
    expect(() => accountParams({ ...PARAMS, deploymentStrategy: 'rolling' })).toThrow(
      /params\.deploymentStrategy/,
    );
    expect(() => accountParams({ ...PARAMS, trainingInstanceType: undefined })).toThrow(
      /params\.trainingInstanceType/,
    );
    expect(() => accountParams(PARAMS, { forecast: -1 })).toThrow(
      /functions\.forecast\.reservedConcurrency/,
    );
    expect(() => accountParams({ ...PARAMS, apiAccessLogging: 'yes' })).toThrow(
      /params\.apiAccessLogging/,
    );
  });
});

describe('verdict', () => {
  const endpoint = requirement('endpoint-instances');
  const key = 'sagemaker/ml.m5.xlarge for endpoint usage';

  it('leaves account figures to --check when offline', () => {
    expect(verdict(endpoint)).toMatchObject({ status: 'needed' });
  });

  it('passes a quota at the need and fails one below it', () => {
    const at = figures({ quotas: new Map([[key, { value: 4, code: 'L-X', source: 'applied' }]]) });
    const below = figures({
      quotas: new Map([[key, { value: 3, code: 'L-X', source: 'default' }]]),
    });
    expect(verdict(endpoint, at)).toMatchObject({ status: 'pass', detail: '4 (L-X, applied)' });
    expect(verdict(endpoint, below)).toMatchObject({ status: 'fail' });
    expect(verdict(endpoint, below).detail).toContain('request ≥ 4');
    expect(anyFailed([verdict(endpoint, at), verdict(endpoint, below)])).toBe(true);
  });

  it('is unknown when the quota is not listed, with the service error when there was one', () => {
    expect(verdict(endpoint, figures())).toMatchObject({ status: 'unknown' });
    const denied = figures({ errors: new Map([['sagemaker', 'AccessDeniedException: no']]) });
    expect(verdict(endpoint, denied).detail).toBe('AccessDeniedException: no');
    expect(anyFailed([verdict(endpoint, denied)])).toBe(false);
  });

  it('fails reservations that leave fewer than 100 unreserved, never a stack that reserves nothing', () => {
    const lambda = { concurrentExecutions: 104, unreservedConcurrentExecutions: 104 };
    const reserving = requirement('lambda-unreserved', PARAMS, { 'update-context': 5 });
    expect(verdict(reserving, figures({ lambda }))).toMatchObject({ status: 'fail' });
    expect(
      verdict(reserving, figures({ lambda: { ...lambda, unreservedConcurrentExecutions: 105 } }))
        .status,
    ).toBe('pass');
    const none = requirement('lambda-unreserved');
    expect(
      verdict(
        none,
        figures({ lambda: { concurrentExecutions: 10, unreservedConcurrentExecutions: 10 } }),
      ).status,
    ).toBe('pass');
  });

  it('fails access logging without the account role', () => {
    const role = requirement('apigateway-cloudwatch-role', { ...PARAMS, apiAccessLogging: true });
    expect(verdict(role, figures({ apiGatewayCloudWatchRoleArn: '' })).status).toBe('fail');
    expect(
      verdict(role, figures({ apiGatewayCloudWatchRoleArn: 'arn:aws:iam::1:role/r' })).status,
    ).toBe('pass');
  });
});

describe('reservedConcurrencyFrom', () => {
  const yaml = [
    'functions:',
    '  a:',
    `    reservedConcurrency: ${dollarBrace('param:aReserved, null')}`,
    '  b:',
    '    reservedConcurrency: 7',
    '  c:',
    '    handler: c.handler',
    '  d:',
    `    reservedConcurrency: ${dollarBrace('param:dReserved, 2')}`,
  ].join('\n');

  it("resolves param references with the stage's params, then their default", () => {
    expect(reservedConcurrencyFrom(yaml, {})).toEqual({ a: null, b: 7, d: '2' });
    expect(reservedConcurrencyFrom(yaml, { aReserved: 5 })).toEqual({ a: 5, b: 7, d: '2' });
  });

  it('refuses a param reference without a value or default', () => {
    expect(() =>
      reservedConcurrencyFrom(
        `functions:\n  a:\n    reservedConcurrency: ${dollarBrace('param:missing')}\n`,
        {},
      ),
    ).toThrow(/functions\.a\.reservedConcurrency: no param missing/);
  });
});

describe('parseArgs', () => {
  it('is offline unless --check or credentials in the environment', () => {
    expect(parseArgs([], {}).online).toBe(false);
    expect(parseArgs(['--check'], {}).online).toBe(true);
    expect(parseArgs([], { AWS_PROFILE: 'dev' }).online).toBe(true);
    expect(parseArgs(['--offline'], { AWS_PROFILE: 'dev' }).online).toBe(false);
  });

  it('reads stage, region and endpoint, and refuses what it does not know', () => {
    expect(
      parseArgs(
        ['--stage', 'prod', '--region', 'eu-west-1', '--endpoint-url', 'http://127.0.0.1:1'],
        {},
      ),
    ).toEqual({
      stage: 'prod',
      region: 'eu-west-1',
      online: false,
      endpoint: 'http://127.0.0.1:1',
    });
    expect(parseArgs([], { AWS_REGION: 'ap-south-1' }).region).toBe('ap-south-1');
    expect(() => parseArgs(['--stage'], {})).toThrow(UsageError);
    expect(() => parseArgs(['--stage', 'Prod_1'], {})).toThrow(/lowercase/);
    expect(() => parseArgs(['--verbose'], {})).toThrow(/unknown argument --verbose/);
  });
});

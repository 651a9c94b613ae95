// deploy:check against a stand-in account: the real SDK v3 clients, pointed at a local server that
// speaks Service Quotas', Lambda's, API Gateway's and IoT's wire protocols, report pass and fail
// per requirement of the repository's serverless.yml (and of variants of its params).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deployCheck } from '../../../deploy/deploy-check.js';
import { type AccountState, startAccountServer } from './aws-account-server.js';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const SERVERLESS_YML = readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8');

const quota = (ServiceCode: string, QuotaName: string, QuotaCode: string, Value: number) => ({
  ServiceCode,
  QuotaName,
  QuotaCode,
  Value,
});

/** A new account: no endpoint instances, training only at AWS's default, low Lambda limit. */
const freshAccount = (): AccountState => ({
  applied: [
    quota('sagemaker', 'ml.m5.xlarge for endpoint usage', 'L-TEST0003', 2),
    quota('sagemaker', 'ml.m5.large for endpoint usage', 'L-TEST0002', 0),
    quota('glue', 'Max concurrent job runs per account', 'L-TEST0010', 50),
  ],
  defaults: [
    quota('sagemaker', 'ml.m5.large for training job usage', 'L-TEST0001', 1),
    quota('sagemaker', 'ml.m5.large for endpoint usage', 'L-TEST0002', 4),
  ],
  lambda: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 },
  iotDataEndpoint: 'abc123-ats.iot.us-east-1.amazonaws.com',
});

const lines = (report: string, mark: string) =>
  report.split('\n').filter((line) => line.startsWith(mark));

describe('deploy:check --check', () => {
  beforeEach(() => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLOCALTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local-secret');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('fails the first deploy of the defaults on an account without endpoint instances, and says why', async () => {
    // Prepare
    const account = await startAccountServer(freshAccount());
    try {
      // Act
      const { report, failed, verdicts } = await deployCheck(
        { stage: 'dev', region: 'us-east-1', online: true, endpoint: account.endpoint },
        SERVERLESS_YML,
      );

      // Assess
      expect(failed).toBe(true);
      const byId = Object.fromEntries(verdicts.map((v) => [v.requirement.id, v]));
      expect(byId['endpoint-instances']?.status).toBe('fail');
      // The applied 0 wins over AWS's default of 4.
      expect(byId['endpoint-instances']?.detail).toMatch(/^0 \(L-TEST0002, applied\)/);
      expect(byId['training-instances']).toMatchObject({
        status: 'pass',
        detail: '1 (L-TEST0001, default)',
      });
      expect(byId['glue-job-runs']?.status).toBe('pass');
      // Nothing reserved: a limit of 10 does not stop the stack.
      expect(byId['lambda-unreserved']?.status).toBe('pass');
      expect(byId['iot-data-endpoint']).toMatchObject({
        status: 'pass',
        detail: 'abc123-ats.iot.us-east-1.amazonaws.com',
      });
      expect(lines(report, 'FAIL')).toEqual([
        'FAIL  sagemaker  ml.m5.large for endpoint usage ≥ 4',
      ]);
      expect(report).toContain('request ≥ 4 in Service Quotas');
      // Every page of every list was read, each call signed for its own service.
      const ops = account.calls.map((c) => `${c.signedFor}:${c.operation}`);
      // One quota a page: two pages of SageMaker's applied quotas, one of Glue's.
      expect(ops.filter((op) => op === 'servicequotas:ListServiceQuotas')).toHaveLength(3);
      expect(ops).toContain('servicequotas:ListAWSDefaultServiceQuotas');
      expect(ops).toContain('lambda:GetAccountSettings');
      expect(ops).toContain('iot:DescribeEndpoint');
      // apiAccessLogging is off: API Gateway's account settings are not needed.
      expect(ops).not.toContain('apigateway:GetAccount');
    } finally {
      await account.close();
    }
  });

  it('sizes A/B at three fleets, and fails reservations and access logs the account cannot take', async () => {
    // Prepare: a stage that runs A/B, reserves 5 for update-context and turns access logs on.
    const yaml = SERVERLESS_YML.replace(
      'deploymentStrategy: canary',
      'deploymentStrategy: ab',
    ).replace(
      'apiAccessLogging: false',
      'apiAccessLogging: true\n    updateContextReservedConcurrency: 5',
    );
    const state = freshAccount();
    state.applied = state.applied.map((q) =>
      q.QuotaName === 'ml.m5.large for endpoint usage' ? { ...q, Value: 5 } : q,
    );
    state.lambda = { ConcurrentExecutions: 104, UnreservedConcurrentExecutions: 104 };
    const account = await startAccountServer(state);
    try {
      // Act
      const { verdicts, failed } = await deployCheck(
        { stage: 'dev', region: 'us-east-1', online: true, endpoint: account.endpoint },
        yaml,
      );

      // Assess
      const byId = Object.fromEntries(verdicts.map((v) => [v.requirement.id, v]));
      expect(failed).toBe(true);
      expect(byId['endpoint-instances']?.requirement.what).toBe(
        'ml.m5.large for endpoint usage ≥ 6',
      );
      expect(byId['endpoint-instances']?.status).toBe('fail');
      expect(byId['lambda-unreserved']?.status).toBe('fail');
      expect(byId['lambda-unreserved']?.detail).toContain('99 after the stack');
      expect(byId['apigateway-cloudwatch-role']?.status).toBe('fail');
      expect(account.calls.map((c) => c.operation)).toContain('GetAccount');
    } finally {
      await account.close();
    }
  });

  it('passes once the account has what the stage needs', async () => {
    // Prepare
    const state = freshAccount();
    state.applied = state.applied.map((q) =>
      q.QuotaName === 'ml.m5.large for endpoint usage' ? { ...q, Value: 4 } : q,
    );
    state.cloudwatchRoleArn = 'arn:aws:iam::123456789012:role/apigw-logs';
    const yaml = SERVERLESS_YML.replace('apiAccessLogging: false', 'apiAccessLogging: true');
    const account = await startAccountServer(state);
    try {
      // Act
      const { verdicts, failed } = await deployCheck(
        { stage: 'dev', region: 'us-east-1', online: true, endpoint: account.endpoint },
        yaml,
      );

      // Assess
      expect(failed).toBe(false);
      expect(verdicts.map((v) => v.status)).toEqual(verdicts.map(() => 'pass'));
      expect(verdicts.find((v) => v.requirement.id === 'apigateway-cloudwatch-role')?.detail).toBe(
        'arn:aws:iam::123456789012:role/apigw-logs',
      );
    } finally {
      await account.close();
    }
  });

  it('reports a service that refuses as unknown, with its error, and still asks the others', async () => {
    // Prepare
    const account = await startAccountServer({ ...freshAccount(), denied: ['servicequotas'] });
    try {
      // Act
      const { verdicts, failed } = await deployCheck(
        { stage: 'dev', region: 'us-east-1', online: true, endpoint: account.endpoint },
        SERVERLESS_YML,
      );

      // Assess
      const quotas = verdicts.filter((v) => v.requirement.need.kind === 'quota');
      expect(quotas.map((v) => v.status)).toEqual(['unknown', 'unknown', 'unknown']);
      expect(quotas[0]?.detail).toMatch(/^AccessDeniedException: not authorized/);
      expect(failed).toBe(false);
      expect(verdicts.find((v) => v.requirement.id === 'lambda-unreserved')?.status).toBe('pass');
    } finally {
      await account.close();
    }
  });
});

describe('npm run deploy:check', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv) =>
    promisify(execFile)(
      path.join(ROOT, 'node_modules', '.bin', 'tsx'),
      [path.join(ROOT, 'deploy', 'deploy-check-cli.ts'), ...args],
      { cwd: ROOT, env, timeout: 60_000 },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
  const baseEnv = (): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    return env;
  };

  it('is offline without credentials, and asks the account with them (exit 1 on a failure)', async () => {
    // Prepare
    const account = await startAccountServer(freshAccount());
    try {
      // Act
      const offline = await cli([], baseEnv());
      const online = await cli(['--endpoint-url', account.endpoint], {
        ...baseEnv(),
        AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
        AWS_SECRET_ACCESS_KEY: 'local-secret',
        AWS_REGION: 'us-east-1',
      });

      // Assess
      expect(offline.code).toBe(0);
      expect(offline.stdout).toContain('offline (what the account needs; --check asks it)');
      expect(offline.stdout).toContain('NEED  sagemaker  ml.m5.large for endpoint usage ≥ 4');
      expect(online.code).toBe(1);
      expect(online.stdout).toContain('asking the account');
      expect(online.stdout).toContain('FAIL  sagemaker  ml.m5.large for endpoint usage ≥ 4');
      expect(account.calls.length).toBeGreaterThan(0);
    } finally {
      await account.close();
    }
  });

  it('refuses an unknown argument with exit 2', async () => {
    const result = await cli(['--stgae', 'dev'], baseEnv());
    expect(result.code).toBe(2);
  });
});

// What a first deploy of a stage needs from the AWS account, derived from the stage's params (the
// values `serverless deploy` resolves), and the verdict on each need once the account's figures
// are known. Pure: no SDK, no file system; deploy/account-probe.ts asks the account and
// deploy/deploy-check.ts prints.

/** A Service Quotas quota, named as the Service Quotas console and API name it. */
export interface QuotaRef {
  serviceCode: string;
  /**
   * Matched by name (ListServiceQuotas / ListAWSDefaultServiceQuotas): per-instance-type codes
   * (L-…) are not published in one place we could verify, names are (SageMaker's own
   * ResourceLimitExceeded errors quote them).
   */
  quotaName: string;
}

/** What the account must have, and how it is measured. */
export type Need =
  /** A Service Quotas value of at least `atLeast`. */
  | { kind: 'quota'; quota: QuotaRef; atLeast: number }
  /** Lambda's unreserved concurrency after the stack's reservations: at least `atLeast`. */
  | { kind: 'unreserved-concurrency'; reserved: number; atLeast: number }
  /** The region's API Gateway account settings name a CloudWatch Logs role. */
  | { kind: 'apigateway-cloudwatch-role' }
  /** The region's IoT Core data endpoint (iot:Data-ATS), which devices connect to. */
  | { kind: 'iot-data-endpoint' }
  /** Known offline; nothing to ask the account. */
  | { kind: 'offline'; ok: boolean };

export interface Requirement {
  /** Stable id, for tests and scripts. */
  id: string;
  service: string;
  /** What is needed, in one line. */
  what: string;
  /** Where the figure comes from (the params that set it). */
  why: string;
  need: Need;
}

/** The params the requirements read, as serverless.yml writes them (strings or numbers). */
export interface AccountParams {
  trainingInstanceType: string;
  endpointInstanceType: string;
  endpointInstanceCount: number;
  deploymentStrategy: 'canary' | 'linear' | 'all-at-once' | 'ab';
  glueWorkerType: string;
  glueWorkers: number;
  apiAccessLogging: boolean;
  /** function → reserved concurrency, for the functions that reserve any. */
  reservedConcurrency: Record<string, number>;
}

export class AccountParamsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AccountParamsError';
  }
}

/** Lambda keeps at least this many executions unreserved in every account and region. */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

/** DPUs of one Glue worker, by worker type (Glue's documented sizes). */
const GLUE_WORKER_DPU: Record<string, number> = {
  'G.025X': 0.25,
  'G.1X': 1,
  'G.2X': 2,
  'G.4X': 4,
  'G.8X': 8,
  'G.12X': 12,
  'G.16X': 16,
  'R.1X': 1,
  'R.2X': 2,
  'R.4X': 4,
  'R.8X': 8,
  Standard: 1,
  'Z.2X': 2,
};

const positiveInt = (params: Record<string, unknown>, name: string): number => {
  const value = Number(params[name]);
  if (!Number.isInteger(value) || value < 1) {
    throw new AccountParamsError(
      `params.${name} must be a whole number ≥ 1 (got ${JSON.stringify(params[name])})`,
    );
  }
  return value;
};

const text = (params: Record<string, unknown>, name: string): string => {
  const value = params[name];
  if (typeof value !== 'string' || value === '') {
    throw new AccountParamsError(
      `params.${name} must be a non-empty string (got ${JSON.stringify(value)})`,
    );
  }
  return value;
};

const STRATEGIES = ['canary', 'linear', 'all-at-once', 'ab'] as const;

/**
 * The stage's params, typed, with the reservations the functions make (`reservedConcurrency`
 * after `${param:…}` resolution; `null` reserves nothing). Wrong values fail with the param named.
 */
export const accountParams = (
  params: Record<string, unknown>,
  reservedConcurrency: Record<string, unknown> = {},
): AccountParams => {
  const strategy = text(params, 'deploymentStrategy');
  if (!(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new AccountParamsError(
      `params.deploymentStrategy must be one of ${STRATEGIES.join(', ')} (got ${strategy})`,
    );
  }
  const reserved: Record<string, number> = {};
  for (const [fn, value] of Object.entries(reservedConcurrency)) {
    if (value === null || value === undefined) continue;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) {
      throw new AccountParamsError(
        `functions.${fn}.reservedConcurrency must be a whole number ≥ 0 (got ${JSON.stringify(value)})`,
      );
    }
    if (n > 0) reserved[fn] = n;
  }
  const logging = params.apiAccessLogging;
  if (
    logging !== undefined &&
    typeof logging !== 'boolean' &&
    logging !== 'true' &&
    logging !== 'false'
  ) {
    throw new AccountParamsError(
      `params.apiAccessLogging must be true or false (got ${JSON.stringify(logging)})`,
    );
  }
  return {
    trainingInstanceType: text(params, 'trainingInstanceType'),
    endpointInstanceType: text(params, 'endpointInstanceType'),
    endpointInstanceCount: positiveInt(params, 'endpointInstanceCount'),
    deploymentStrategy: strategy as AccountParams['deploymentStrategy'],
    glueWorkerType: text(params, 'glueWorkerType'),
    glueWorkers: positiveInt(params, 'glueWorkers'),
    apiAccessLogging: logging === true || logging === 'true',
    reservedConcurrency: reserved,
  };
};

/**
 * The most endpoint instances the stage runs at once, and why. Every update is blue/green (an
 * UpdateEndpoint without a BlueGreenUpdatePolicy is blue/green all at once): the new fleet runs
 * beside the old one until traffic has moved. A single-variant stage peaks at old + new fleet;
 * an A/B test's champion/challenger config (two variants of the instance count) replaces the
 * one-variant config and is replaced by it again, so it runs beside a one-variant fleet.
 */
export const peakEndpointInstances = (p: AccountParams): { count: number; why: string } => {
  const n = p.endpointInstanceCount;
  if (p.deploymentStrategy === 'ab') {
    return {
      count: 3 * n,
      why: `A/B: champion + challenger (2 × ${n}) beside the primary fleet (${n}) while one config replaces the other`,
    };
  }
  return {
    count: 2 * n,
    why: `${p.deploymentStrategy} blue/green: the old and the new fleet of endpointInstanceCount ${n} side by side`,
  };
};

/** Everything a first deploy and its first retrain runs need from the account, in print order. */
export const accountRequirements = (
  p: AccountParams,
  deployment: { region: string; deepArRegions: readonly string[] },
): Requirement[] => {
  const peak = peakEndpointInstances(p);
  const dpuPerWorker = GLUE_WORKER_DPU[p.glueWorkerType];
  const reserved = Object.values(p.reservedConcurrency).reduce((a, b) => a + b, 0);
  const reservations = Object.entries(p.reservedConcurrency)
    .map(([fn, n]) => `${fn} ${n}`)
    .join(', ');
  return [
    {
      id: 'deepar-region',
      service: 'sagemaker',
      what: `region ${deployment.region} has the DeepAR image (DeepArRegistry mapping)`,
      why: `${deployment.deepArRegions.length} regions are mapped; another fails at !FindInMap`,
      need: { kind: 'offline', ok: deployment.deepArRegions.includes(deployment.region) },
    },
    {
      id: 'training-instances',
      service: 'sagemaker',
      what: `${p.trainingInstanceType} for training job usage ≥ 1`,
      why: 'trainingInstanceType; one training job at a time (InstanceCount 1)',
      need: {
        kind: 'quota',
        quota: {
          serviceCode: 'sagemaker',
          quotaName: `${p.trainingInstanceType} for training job usage`,
        },
        atLeast: 1,
      },
    },
    {
      id: 'endpoint-instances',
      service: 'sagemaker',
      what: `${p.endpointInstanceType} for endpoint usage ≥ ${peak.count}`,
      why: `endpointInstanceType, endpointInstanceCount ${p.endpointInstanceCount}, deploymentStrategy ${p.deploymentStrategy} — ${peak.why}`,
      need: {
        kind: 'quota',
        quota: {
          serviceCode: 'sagemaker',
          quotaName: `${p.endpointInstanceType} for endpoint usage`,
        },
        atLeast: peak.count,
      },
    },
    {
      id: 'glue-worker-type',
      service: 'glue',
      what: `worker type ${p.glueWorkerType} × ${p.glueWorkers}${dpuPerWorker === undefined ? '' : ` = ${dpuPerWorker * p.glueWorkers} DPU`}`,
      why:
        dpuPerWorker === undefined
          ? `glueWorkerType ${p.glueWorkerType} is not a Glue worker type`
          : 'glueWorkerType, glueWorkers',
      need: { kind: 'offline', ok: dpuPerWorker !== undefined },
    },
    {
      id: 'glue-job-runs',
      service: 'glue',
      what: 'Max concurrent job runs per account ≥ 1',
      why: 'the ETL job runs once per retrain (MaxConcurrentRuns 1)',
      need: {
        kind: 'quota',
        quota: { serviceCode: 'glue', quotaName: 'Max concurrent job runs per account' },
        atLeast: 1,
      },
    },
    {
      id: 'lambda-unreserved',
      service: 'lambda',
      what: `unreserved concurrency ≥ ${LAMBDA_UNRESERVED_MINIMUM} after reserving ${reserved}`,
      why:
        reserved === 0
          ? 'no function reserves concurrency (reservedConcurrency params unset)'
          : `reservedConcurrency: ${reservations}; Lambda refuses a reservation that leaves fewer than ${LAMBDA_UNRESERVED_MINIMUM}`,
      need: { kind: 'unreserved-concurrency', reserved, atLeast: LAMBDA_UNRESERVED_MINIMUM },
    },
    p.apiAccessLogging
      ? {
          id: 'apigateway-cloudwatch-role',
          service: 'apigateway',
          what: 'the account has an API Gateway CloudWatch Logs role in this region',
          why: 'apiAccessLogging: true — the stage fails to create without it',
          need: { kind: 'apigateway-cloudwatch-role' },
        }
      : {
          id: 'apigateway-cloudwatch-role',
          service: 'apigateway',
          what: 'no API Gateway CloudWatch Logs role needed',
          why: 'apiAccessLogging: false',
          need: { kind: 'offline', ok: true },
        },
    {
      id: 'iot-data-endpoint',
      service: 'iot',
      what: 'the IoT Core data endpoint (iot:Data-ATS) devices connect to',
      why: 'deploy/register-device.sh prints it for the device agent',
      need: { kind: 'iot-data-endpoint' },
    },
  ];
};

/** What the account answered, per kind of need (absent: not asked, or it did not answer). */
export interface AccountFigures {
  /** `${serviceCode}/${quotaName}` → value and where it came from. */
  quotas: Map<string, { value: number; code: string; source: 'applied' | 'default' }>;
  lambda?: { concurrentExecutions: number; unreservedConcurrentExecutions: number };
  /** The API Gateway account's cloudwatchRoleArn ('' when unset). */
  apiGatewayCloudWatchRoleArn?: string;
  iotDataEndpoint?: string;
  /** Per service, why it could not be asked (AccessDenied, …). */
  errors: Map<string, string>;
}

export const quotaKey = (q: QuotaRef): string => `${q.serviceCode}/${q.quotaName}`;

export type Status = 'pass' | 'fail' | 'unknown' | 'needed';

export interface Verdict {
  requirement: Requirement;
  status: Status;
  /** What the account has, or why it is not known. */
  detail: string;
}

/** The verdict on one requirement; without `figures` (offline) only offline ones are decided. */
export const verdict = (r: Requirement, figures?: AccountFigures): Verdict => {
  const need = r.need;
  if (need.kind === 'offline') {
    return {
      requirement: r,
      status: need.ok ? 'pass' : 'fail',
      detail: need.ok ? 'ok' : 'fix the params',
    };
  }
  if (!figures)
    return { requirement: r, status: 'needed', detail: 'run with --check to ask the account' };
  const error = figures.errors.get(r.service);
  switch (need.kind) {
    case 'quota': {
      const found = figures.quotas.get(quotaKey(need.quota));
      if (!found) {
        return {
          requirement: r,
          status: 'unknown',
          detail:
            error ??
            `Service Quotas lists no "${need.quota.quotaName}" for ${need.quota.serviceCode}`,
        };
      }
      const ok = found.value >= need.atLeast;
      return {
        requirement: r,
        status: ok ? 'pass' : 'fail',
        detail: `${found.value} (${found.code}, ${found.source})${ok ? '' : ` — request ≥ ${need.atLeast} in Service Quotas`}`,
      };
    }
    case 'unreserved-concurrency': {
      if (!figures.lambda)
        return { requirement: r, status: 'unknown', detail: error ?? 'no account settings' };
      const left = figures.lambda.unreservedConcurrentExecutions - need.reserved;
      // Nothing reserved: the stack cannot push the account below its minimum, whatever its limit.
      const ok = need.reserved === 0 || left >= need.atLeast;
      return {
        requirement: r,
        status: ok ? 'pass' : 'fail',
        detail: `limit ${figures.lambda.concurrentExecutions}, unreserved ${figures.lambda.unreservedConcurrentExecutions}${need.reserved ? `, ${left} after the stack's reservations` : ''}${ok ? '' : ' — unset the reservedConcurrency params or raise "Concurrent executions"'}`,
      };
    }
    case 'apigateway-cloudwatch-role': {
      const arn = figures.apiGatewayCloudWatchRoleArn;
      if (arn === undefined)
        return { requirement: r, status: 'unknown', detail: error ?? 'no account settings' };
      return arn
        ? { requirement: r, status: 'pass', detail: arn }
        : {
            requirement: r,
            status: 'fail',
            detail: 'unset — set it (README, "First deploy") or set apiAccessLogging: false',
          };
    }
    case 'iot-data-endpoint': {
      const address = figures.iotDataEndpoint;
      if (address === undefined)
        return { requirement: r, status: 'unknown', detail: error ?? 'no endpoint' };
      return { requirement: r, status: 'pass', detail: address };
    }
  }
};

/** Whether the run should fail: any requirement that fails (unknown ones are reported, not failed). */
export const anyFailed = (verdicts: readonly Verdict[]): boolean =>
  verdicts.some((v) => v.status === 'fail');

// `npm run deploy:check`: what a first deploy of a stage needs from the AWS account, read from the
// stage's params in serverless.yml, and — with `--check`, or when AWS credentials are in the
// environment — whether the account has it. Offline by default; never writes to the account.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { templateFromServerlessYml } from '../local/iam/template.js';
import { stageParamsFrom } from '../local/stage-params.js';
import { accountClients, destroyClients, probeAccount } from './account-probe.js';
import {
  type AccountFigures,
  accountParams,
  accountRequirements,
  anyFailed,
  type Verdict,
  verdict,
} from './account-requirements.js';

const SERVERLESS_YML = path.join(import.meta.dirname, '..', 'serverless.yml');

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CheckOptions {
  stage: string;
  region: string;
  /** Ask the account (true), or only print what it needs (false). */
  online: boolean;
  /** One endpoint for every SDK client (a local server), as the AWS CLI's --endpoint-url. */
  endpoint?: string;
}

const USAGE =
  'usage: deploy:check [--stage dev] [--region us-east-1] [--check | --offline] [--endpoint-url URL]';

/** Credentials the SDK's default chain would find in the environment. */
const credentialsInEnv = (env: NodeJS.ProcessEnv): boolean =>
  Boolean(
    (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) ||
      env.AWS_PROFILE ||
      env.AWS_WEB_IDENTITY_TOKEN_FILE ||
      env.AWS_CONTAINER_CREDENTIALS_FULL_URI ||
      env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  );

/** The options of a command line; offline unless --check or credentials in the environment. */
export const parseArgs = (argv: readonly string[], env: NodeJS.ProcessEnv): CheckOptions => {
  let stage = 'dev';
  let region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  let online: boolean | undefined;
  let endpoint: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`${arg} needs a value\n${USAGE}`);
      return next;
    };
    if (arg === '--stage') stage = value();
    else if (arg === '--region') region = value();
    else if (arg === '--endpoint-url') endpoint = value();
    else if (arg === '--check') online = true;
    else if (arg === '--offline') online = false;
    else throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  if (!/^[a-z0-9]+$/.test(stage))
    throw new UsageError(`stage names are lowercase letters and digits (got ${stage})`);
  return {
    stage,
    region,
    online: online ?? credentialsInEnv(env),
    ...(endpoint ? { endpoint } : {}),
  };
};

const PARAM_REFERENCE = /^\$\{param:(\w+)(?:\s*,\s*(.*))?\}$/;

/** Each function's reservedConcurrency, `${param:name, default}` resolved against the params. */
export const reservedConcurrencyFrom = (
  yamlText: string,
  params: Record<string, unknown>,
): Record<string, unknown> => {
  const doc = parseDocument(yamlText, { logLevel: 'silent' });
  const functions = (
    doc.toJS({ maxAliasCount: -1 }) as {
      functions?: Record<string, { reservedConcurrency?: unknown }>;
    }
  ).functions;
  const reserved: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(functions ?? {})) {
    const value = fn?.reservedConcurrency;
    if (value === undefined) continue;
    const ref = typeof value === 'string' ? PARAM_REFERENCE.exec(value.trim()) : null;
    if (!ref) {
      reserved[name] = value;
      continue;
    }
    const [, param = '', fallback] = ref;
    if (param in params) reserved[name] = params[param];
    else if (fallback === undefined)
      throw new UsageError(`functions.${name}.reservedConcurrency: no param ${param}`);
    else reserved[name] = fallback.trim() === 'null' ? null : fallback.trim();
  }
  return reserved;
};

const MARK: Record<Verdict['status'], string> = {
  pass: 'PASS  ',
  fail: 'FAIL  ',
  unknown: '??    ',
  needed: 'NEED  ',
};

/** The report as printed: a header, then one block per requirement. */
export const formatReport = (options: CheckOptions, verdicts: readonly Verdict[]): string => {
  const lines = [
    `deploy:check — stage ${options.stage}, region ${options.region}, ${
      options.online ? 'asking the account' : 'offline (what the account needs; --check asks it)'
    }`,
    '',
  ];
  for (const v of verdicts) {
    lines.push(`${MARK[v.status]}${v.requirement.service.padEnd(11)}${v.requirement.what}`);
    lines.push(`${' '.repeat(17)}${v.requirement.why}`);
    if (v.status !== 'pass' || options.online) lines.push(`${' '.repeat(17)}→ ${v.detail}`);
  }
  const counts = (status: Verdict['status']) => verdicts.filter((v) => v.status === status).length;
  lines.push('');
  lines.push(
    options.online
      ? `${counts('pass')} pass, ${counts('fail')} fail, ${counts('unknown')} unknown`
      : `${counts('needed')} to check on the account, ${counts('fail')} failing in the params`,
  );
  lines.push(
    'SageMaker quotas are matched by name in Service Quotas; instances that other endpoints or jobs already use count against them.',
  );
  return `${lines.join('\n')}\n`;
};

/** Reads the stage, derives its requirements, asks the account when online, and reports. */
export const deployCheck = async (
  options: CheckOptions,
  yamlText: string = readFileSync(SERVERLESS_YML, 'utf8'),
): Promise<{ report: string; failed: boolean; verdicts: Verdict[] }> => {
  const params = stageParamsFrom(yamlText, options.stage);
  const requirements = accountRequirements(
    accountParams(params, reservedConcurrencyFrom(yamlText, params)),
    {
      region: options.region,
      deepArRegions: Object.keys(
        templateFromServerlessYml(yamlText, { stage: options.stage, region: options.region })
          .Mappings?.DeepArRegistry ?? {},
      ),
    },
  );
  let figures: AccountFigures | undefined;
  if (options.online) {
    const clients = accountClients({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    try {
      figures = await probeAccount(requirements, clients);
    } finally {
      destroyClients(clients);
    }
  }
  const verdicts = requirements.map((r) => verdict(r, figures));
  return { report: formatReport(options, verdicts), failed: anyFailed(verdicts), verdicts };
};

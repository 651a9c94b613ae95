// Command-line flags of the device agent → fleet options. Pure (argv and env are parameters),
// so every validation message is unit-tested.
import { parseArgs } from 'node:util';
import type { BrokerTarget } from './connection.js';
import { AgentUsageError } from './errors.js';
import { DEFAULT_STEP_MINUTES, MAX_DEVICES } from './fleet-plan.js';

export const DEFAULT_BROKER_URL = 'mqtt://127.0.0.1:1883';

export const USAGE = `smogcast device agent: simulated air-quality sensors publishing telemetry v1 over MQTT

Usage: npm run device -- [options]

Target (default: local broker ${DEFAULT_BROKER_URL}):
  --broker <url>          local MQTT broker, mqtt://host[:port]
  --endpoint <host>       AWS IoT Core data endpoint (mTLS, port 8883)   env SMOGCAST_IOT_ENDPOINT
  --cert <path>           device certificate (PEM)                         env SMOGCAST_IOT_CERT
  --key <path>            private key (PEM)                                env SMOGCAST_IOT_KEY
  --ca <path>             Amazon root CA (PEM)                             env SMOGCAST_IOT_CA
  --client-id <thing>     thing name = client id = device id (AWS, one device)

Fleet:
  --devices <n>           number of simulated devices sim-001… (default 3)
  --seed <int>            generator seed (default 42)
  --backfill-hours <h>    hours of history published first, ending now (default 24)
  --step-minutes <m>      spacing of readings (default ${DEFAULT_STEP_MINUTES})
  --interval-ms <ms>      real-time publish interval (default: step-minutes)
  --no-realtime           exit after the backfill
  --legacy-payload        publish the original blog post's payload shape
  --help                  show this help
`;

export type AgentCommand =
  | { kind: 'help' }
  | {
      kind: 'run';
      broker: BrokerTarget;
      devices: number;
      seed: number;
      backfillHours: number;
      stepMinutes: number;
      intervalMs?: number;
      realtime: boolean;
      legacyPayload: boolean;
    };

const OPTIONS = {
  broker: { type: 'string' },
  endpoint: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  'client-id': { type: 'string' },
  devices: { type: 'string' },
  seed: { type: 'string' },
  'backfill-hours': { type: 'string' },
  'step-minutes': { type: 'string' },
  'interval-ms': { type: 'string' },
  'no-realtime': { type: 'boolean' },
  'legacy-payload': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface NumberRule {
  min: number;
  max: number;
  integer: boolean;
}

const parseNumber = (flag: string, raw: string | undefined, fallback: number, rule: NumberRule) => {
  if (raw === undefined) return fallback;
  const value = raw.trim() === '' ? Number.NaN : Number(raw);
  const kind = rule.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
    throw new AgentUsageError(`--${flag} must be ${kind}, got ${JSON.stringify(raw)}`);
  }
  if (value < rule.min || value > rule.max) {
    throw new AgentUsageError(`--${flag} must be between ${rule.min} and ${rule.max}, got ${raw}`);
  }
  return value;
};

type Env = Record<string, string | undefined>;

const resolveBroker = (values: Record<string, string | boolean | undefined>, env: Env) => {
  const flag = (name: string) => values[name] as string | undefined;
  const awsFlags = ['endpoint', 'cert', 'key', 'ca', 'client-id'].filter(
    (f) => flag(f) !== undefined,
  );
  if (flag('broker') !== undefined && awsFlags.length > 0) {
    throw new AgentUsageError(`--broker cannot be combined with --${awsFlags.join(', --')}`);
  }
  // An explicit --broker wins over AWS settings inherited from the environment.
  const endpoint =
    flag('broker') === undefined ? (flag('endpoint') ?? env.SMOGCAST_IOT_ENDPOINT) : undefined;
  if (endpoint === undefined || endpoint === '') {
    if (flag('client-id') !== undefined) {
      throw new AgentUsageError('--client-id needs --endpoint (AWS IoT Core)');
    }
    return { kind: 'local', url: flag('broker') ?? DEFAULT_BROKER_URL } as const;
  }
  const certPath = flag('cert') ?? env.SMOGCAST_IOT_CERT;
  const keyPath = flag('key') ?? env.SMOGCAST_IOT_KEY;
  const caPath = flag('ca') ?? env.SMOGCAST_IOT_CA;
  const missing = [
    certPath ? undefined : '--cert (or SMOGCAST_IOT_CERT)',
    keyPath ? undefined : '--key (or SMOGCAST_IOT_KEY)',
    caPath ? undefined : '--ca (or SMOGCAST_IOT_CA)',
  ].filter((m) => m !== undefined);
  if (missing.length > 0 || !certPath || !keyPath || !caPath) {
    throw new AgentUsageError(`AWS IoT Core needs ${missing.join(', ')}`);
  }
  const clientId = flag('client-id');
  return {
    kind: 'aws',
    endpoint,
    certPath,
    keyPath,
    caPath,
    ...(clientId === undefined ? {} : { clientId }),
  } as const;
};

const validateBrokerUrl = (url: string) => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AgentUsageError(
      `--broker must be a URL like ${DEFAULT_BROKER_URL}, got ${JSON.stringify(url)}`,
    );
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') {
    throw new AgentUsageError(`--broker must use mqtt:// (plain TCP), got ${JSON.stringify(url)}`);
  }
};

/** Parses the agent's flags. Throws AgentUsageError with a message fit for the terminal. */
export const parseAgentArgs = (argv: string[], env: Env = {}): AgentCommand => {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new AgentUsageError(error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  if (values.help) return { kind: 'help' };
  const broker = resolveBroker(values, env);
  if (broker.kind === 'local') validateBrokerUrl(broker.url);
  const str = (name: string) => values[name] as string | undefined;
  const devices = parseNumber('devices', str('devices'), 3, {
    min: 1,
    max: MAX_DEVICES,
    integer: true,
  });
  if (
    broker.kind === 'aws' &&
    broker.clientId !== undefined &&
    devices !== 1 &&
    str('devices') !== undefined
  ) {
    throw new AgentUsageError('--client-id names one thing: use it with --devices 1');
  }
  const stepMinutes = parseNumber('step-minutes', str('step-minutes'), DEFAULT_STEP_MINUTES, {
    min: 1,
    max: 1440,
    integer: true,
  });
  const intervalRaw = str('interval-ms');
  return {
    kind: 'run',
    broker,
    // A named thing is a single device, whatever the default fleet size is.
    devices: broker.kind === 'aws' && broker.clientId !== undefined ? 1 : devices,
    seed: parseNumber('seed', str('seed'), 42, {
      min: 0,
      max: Number.MAX_SAFE_INTEGER,
      integer: true,
    }),
    backfillHours: parseNumber('backfill-hours', str('backfill-hours'), 24, {
      min: 0,
      max: 24 * 366,
      integer: false,
    }),
    stepMinutes,
    ...(intervalRaw === undefined
      ? {}
      : {
          intervalMs: parseNumber('interval-ms', intervalRaw, 0, {
            min: 1,
            max: 86_400_000,
            integer: true,
          }),
        }),
    realtime: values['no-realtime'] !== true,
    legacyPayload: values['legacy-payload'] === true,
  };
};

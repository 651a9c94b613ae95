// Command-line flags of the device agent → fleet options. Pure (argv and env are parameters),
// so every validation message is unit-tested.
import { parseArgs } from 'node:util';
import { MAX_READINGS_PER_MESSAGE } from '../core/telemetry.js';
import { type BrokerTarget, MQTT_PROTOCOLS, type MqttProtocol } from './connection.js';
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
  --protocol <5|3.1.1>    MQTT version (default: 5 on AWS, 3.1.1 locally —
                          the embedded broker speaks 3.1.1; Mosquitto speaks both)

Source (default: the synthetic generator):
  --replay <file>         replay a Beijing multi-site CSV (.csv or .csv.gz), one station =
                          one device bj-<station>; repeat the flag for several files
  --speed <factor>        replay time acceleration, e.g. 3600 = one hour of data per second
                          (default: backfill mode, everything as fast as acknowledged)
  --align-now             shift replayed timestamps so the last reading is this hour

Fleet:
  --devices <n>           number of simulated devices sim-001… (default 3)
  --connections <n>       share the fleet over at most n MQTT connections (local broker only;
                          default one per device)
  --max-in-flight <n>     publishes awaiting PUBACK per connection (default 100)
  --max-queued <n>        readings kept in memory per connection while offline (default 10000)
  --spool-dir <dir>       keep the offline queue's overflow, and what is unsent at exit, on
                          disk here; it is sent on the next start
  --seed <int>            generator seed (default 42)
  --backfill-hours <h>    hours of history published first, ending now (default 24)
  --step-minutes <m>      spacing of readings (default ${DEFAULT_STEP_MINUTES})
  --interval-ms <ms>      real-time publish interval (default: step-minutes)
  --no-realtime           exit after the backfill
  --legacy-payload        publish the original blog post's payload shape
  --readings-per-message <n>  send n readings per MQTT message (telemetry v1 batch, 1-500;
                          default 1 = one reading per message). Fewer 5 KB IoT messages, rule
                          evaluations and Firehose records: what a fleet reading every minute needs
  --basic-ingest <rule>   publish to $aws/rules/<rule>/smogcast/<id>/telemetry (Basic Ingest:
                          no IoT messaging charge), e.g. smogcast_telemetry_dev
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
      readingsPerMessage: number;
      basicIngestRule?: string;
      protocol: MqttProtocol;
      replayFiles: string[];
      speed: number;
      alignNow: boolean;
      connections?: number;
      maxInFlight: number;
      maxQueued: number;
      spoolDir?: string;
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
  'readings-per-message': { type: 'string' },
  'basic-ingest': { type: 'string' },
  protocol: { type: 'string' },
  replay: { type: 'string', multiple: true },
  speed: { type: 'string' },
  'align-now': { type: 'boolean' },
  connections: { type: 'string' },
  'max-in-flight': { type: 'string' },
  'max-queued': { type: 'string' },
  'spool-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface NumberRule {
  min: number;
  max: number;
  integer: boolean;
}

// Not zod's z.coerce.number(): it reads '' and '  ' as 0 (Number('') is 0), and keeping these
// terminal messages would take an override per check plus mapping its issues back; no shorter.
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

const resolveBroker = (
  values: Record<string, string | boolean | string[] | undefined>,
  env: Env,
) => {
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
  let values: Record<string, string | boolean | string[] | undefined>;
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
  const protocol = str('protocol') ?? (broker.kind === 'aws' ? '5' : '3.1.1');
  if (!(MQTT_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new AgentUsageError(`--protocol must be 5 or 3.1.1, got ${JSON.stringify(protocol)}`);
  }
  const replayFiles = (values.replay as string[] | undefined) ?? [];
  if (replayFiles.length === 0 && (str('speed') !== undefined || values['align-now'])) {
    throw new AgentUsageError('--speed and --align-now need --replay <file>');
  }
  const connectionsRaw = str('connections');
  if (connectionsRaw !== undefined && broker.kind === 'aws') {
    throw new AgentUsageError(
      '--connections is for a local broker: on AWS each thing connects as itself',
    );
  }
  const spoolDir = str('spool-dir');
  const readingsPerMessage = parseNumber('readings-per-message', str('readings-per-message'), 1, {
    min: 1,
    max: MAX_READINGS_PER_MESSAGE,
    integer: true,
  });
  if (readingsPerMessage !== 1 && values['legacy-payload']) {
    throw new AgentUsageError('--legacy-payload has no batch form: drop --readings-per-message');
  }
  const basicIngestRule = str('basic-ingest');
  if (basicIngestRule !== undefined && !/^[A-Za-z0-9_]+$/.test(basicIngestRule)) {
    throw new AgentUsageError(
      `--basic-ingest names an IoT rule ([A-Za-z0-9_]+), got ${JSON.stringify(basicIngestRule)}`,
    );
  }
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
    readingsPerMessage,
    ...(basicIngestRule === undefined ? {} : { basicIngestRule }),
    protocol: protocol as MqttProtocol,
    replayFiles,
    speed:
      str('speed') === undefined
        ? Number.POSITIVE_INFINITY
        : parseNumber('speed', str('speed'), 1, { min: 0.001, max: 1e9, integer: false }),
    alignNow: values['align-now'] === true,
    ...(connectionsRaw === undefined
      ? {}
      : {
          connections: parseNumber('connections', connectionsRaw, 1, {
            min: 1,
            max: MAX_DEVICES,
            integer: true,
          }),
        }),
    maxInFlight: parseNumber('max-in-flight', str('max-in-flight'), 100, {
      min: 1,
      max: 65_535,
      integer: true,
    }),
    maxQueued: parseNumber('max-queued', str('max-queued'), 10_000, {
      min: 1,
      max: 10_000_000,
      integer: true,
    }),
    ...(spoolDir === undefined ? {} : { spoolDir }),
  };
};

import { describe, expect, it } from 'vitest';
import { DEFAULT_BROKER_URL, parseAgentArgs } from '../../../device/args.js';

const awsEnv = {
  SMOGCAST_IOT_ENDPOINT: 'abc-ats.iot.eu-west-1.amazonaws.com',
  SMOGCAST_IOT_CERT: '/certs/device.pem.crt',
  SMOGCAST_IOT_KEY: '/certs/private.pem.key',
  SMOGCAST_IOT_CA: '/certs/AmazonRootCA1.pem',
};

describe('parseAgentArgs', () => {
  it('defaults to the local broker, three devices, a day of backfill and real time', () => {
    expect(parseAgentArgs([])).toEqual({
      kind: 'run',
      broker: { kind: 'local', url: DEFAULT_BROKER_URL },
      devices: 3,
      seed: 42,
      backfillHours: 24,
      stepMinutes: 15,
      realtime: true,
      legacyPayload: false,
      readingsPerMessage: 1,
      protocol: '3.1.1',
      replayFiles: [],
      speed: Number.POSITIVE_INFINITY,
      alignNow: false,
      maxInFlight: 100,
      maxQueued: 10_000,
    });
  });

  it('reads every fleet flag', () => {
    // Act
    const command = parseAgentArgs([
      '--broker',
      'mqtt://127.0.0.1:2883',
      '--devices',
      '2',
      '--seed',
      '9',
      '--backfill-hours',
      '1.5',
      '--step-minutes',
      '5',
      '--interval-ms',
      '250',
      '--no-realtime',
      '--legacy-payload',
      '--protocol',
      '5',
      '--connections',
      '1',
      '--max-in-flight',
      '50',
      '--max-queued',
      '500',
      '--spool-dir',
      '/tmp/spool',
    ]);

    // Assess
    expect(command).toEqual({
      kind: 'run',
      broker: { kind: 'local', url: 'mqtt://127.0.0.1:2883' },
      devices: 2,
      seed: 9,
      backfillHours: 1.5,
      stepMinutes: 5,
      intervalMs: 250,
      realtime: false,
      legacyPayload: true,
      readingsPerMessage: 1,
      protocol: '5',
      replayFiles: [],
      speed: Number.POSITIVE_INFINITY,
      alignNow: false,
      connections: 1,
      maxInFlight: 50,
      maxQueued: 500,
      spoolDir: '/tmp/spool',
    });
  });

  it('reads replay files, their speed and alignment', () => {
    const command = parseAgentArgs([
      '--replay',
      'a.csv.gz',
      '--replay',
      'b.csv',
      '--speed',
      '3600',
      '--align-now',
    ]);
    expect(command).toMatchObject({
      replayFiles: ['a.csv.gz', 'b.csv'],
      speed: 3600,
      alignNow: true,
    });
  });

  it('speaks MQTT 5 to AWS IoT Core by default', () => {
    expect(parseAgentArgs([], awsEnv)).toMatchObject({ protocol: '5' });
    expect(parseAgentArgs(['--protocol', '3.1.1'], awsEnv)).toMatchObject({ protocol: '3.1.1' });
  });

  it.each([
    [['--protocol', '4'], '--protocol must be 5 or 3.1.1'],
    [['--speed', '10'], '--speed and --align-now need --replay'],
    [['--replay', 'x.csv', '--speed', '0'], '--speed must be between'],
    [['--connections', '0'], '--connections must be between'],
  ])('rejects %j', (argv, message) => {
    expect(() => parseAgentArgs(argv)).toThrowError(message);
  });

  it('returns help for --help and -h', () => {
    expect(parseAgentArgs(['--help'])).toEqual({ kind: 'help' });
    expect(parseAgentArgs(['-h'])).toEqual({ kind: 'help' });
  });

  it('builds an AWS IoT target from flags', () => {
    const command = parseAgentArgs([
      '--endpoint',
      'abc-ats.iot.eu-west-1.amazonaws.com',
      '--cert',
      'c.pem',
      '--key',
      'k.pem',
      '--ca',
      'ca.pem',
      '--client-id',
      'thing-1',
    ]);
    expect(command).toMatchObject({
      broker: {
        kind: 'aws',
        endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
        certPath: 'c.pem',
        keyPath: 'k.pem',
        caPath: 'ca.pem',
        clientId: 'thing-1',
      },
      devices: 1,
    });
  });

  it('builds an AWS IoT target from the environment, and --broker overrides it', () => {
    expect(parseAgentArgs([], awsEnv)).toMatchObject({
      broker: {
        kind: 'aws',
        endpoint: awsEnv.SMOGCAST_IOT_ENDPOINT,
        caPath: awsEnv.SMOGCAST_IOT_CA,
      },
    });
    expect(parseAgentArgs(['--broker', 'mqtt://localhost'], awsEnv)).toMatchObject({
      broker: { kind: 'local', url: 'mqtt://localhost' },
    });
  });

  it.each([
    [['--devices', 'x'], /--devices must be an integer, got "x"/],
    [['--devices', '0'], /--devices must be between 1 and/],
    [['--devices', '2.5'], /--devices must be an integer/],
    [['--backfill-hours=-1'], /--backfill-hours must be between 0 and/],
    [['--step-minutes', ''], /--step-minutes must be an integer/],
    [['--interval-ms', '0'], /--interval-ms must be between 1 and/],
    [['--seed', 'abc'], /--seed must be an integer/],
    [['--broker', 'http://127.0.0.1'], /--broker must use mqtt:\/\//],
    [['--broker', 'not a url'], /--broker must be a URL/],
    [['--endpoint', 'x.amazonaws.com'], /needs --cert .*--key .*--ca/],
    [['--broker', 'mqtt://h', '--endpoint', 'e'], /cannot be combined with --endpoint/],
    [['--client-id', 'thing'], /--client-id needs --endpoint/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['stray'], /positional/i],
  ])('rejects %j with a clear message', (argv, message) => {
    expect(() => parseAgentArgs(argv)).toThrow(
      expect.objectContaining({ name: 'AgentUsageError', message: expect.stringMatching(message) }),
    );
  });

  it('refuses a named thing with several devices', () => {
    expect(() => parseAgentArgs(['--client-id', 'thing', '--devices', '2'], awsEnv)).toThrow(
      /use it with --devices 1/,
    );
  });

  it('reads the batch and Basic Ingest flags, and refuses what cannot be sent', () => {
    expect(
      parseAgentArgs(['--readings-per-message', '15', '--basic-ingest', 'smogcast_telemetry_dev']),
    ).toMatchObject({ readingsPerMessage: 15, basicIngestRule: 'smogcast_telemetry_dev' });
    expect(() => parseAgentArgs(['--readings-per-message', '501'])).toThrow(/between 1 and 500/);
    expect(() => parseAgentArgs(['--readings-per-message', '2', '--legacy-payload'])).toThrow(
      /no batch form/,
    );
    expect(() => parseAgentArgs(['--basic-ingest', 'a/b'])).toThrow(/names an IoT rule/);
  });
});

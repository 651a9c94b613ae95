import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../core/errors.js';
import { loadConfig } from '../../../../functions/common/config.js';
import { createObjectStore } from '../../../../functions/common/deps.js';

describe('loadConfig', () => {
  it('fails with a ConfigError naming SMOGCAST_RUNTIME when it is not set', () => {
    // Act
    const load = () => loadConfig({ LAKE_BUCKET: 'lake' });

    // Assess
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/SMOGCAST_RUNTIME: missing: set "aws" .* or "local"/);
  });

  it('rejects a runtime kind it does not know', () => {
    expect(() => loadConfig({ SMOGCAST_RUNTIME: 'gcp' })).toThrow(
      /SMOGCAST_RUNTIME: must be "aws" or "local", got "gcp"/,
    );
  });

  it('reads the runtime kind and fills the defaults', () => {
    // Act
    const config = loadConfig({ SMOGCAST_RUNTIME: 'aws' });

    // Assess
    expect(config).toEqual({
      runtime: 'aws',
      region: 'us-east-1',
      lakeBucket: 'smogcast-lake',
      s3Endpoint: undefined,
      sagemakerRuntimeEndpoint: undefined,
      endpointName: 'smogcast',
      predictionLength: 24,
      contextHours: 336,
      context: { shards: 32, historyShards: 1024, contextHours: 336 },
      cors: { origins: [] },
      accuracySamplePeriodHours: 6,
    });
  });

  it('refuses history shards that are not a multiple of the page shards', () => {
    expect(() =>
      loadConfig({ SMOGCAST_RUNTIME: 'aws', CONTEXT_SHARDS: '32', CONTEXT_HISTORY_SHARDS: '100' }),
    ).toThrow(/CONTEXT_HISTORY_SHARDS \(100\) must be a multiple of CONTEXT_SHARDS \(32\)/);
  });

  it('parses CORS_ALLOW_ORIGINS: "*" or a trimmed list of origins', () => {
    expect(loadConfig({ SMOGCAST_RUNTIME: 'aws', CORS_ALLOW_ORIGINS: '*' }).cors).toEqual({
      origins: ['*'],
    });
    const list = loadConfig({
      SMOGCAST_RUNTIME: 'aws',
      CORS_ALLOW_ORIGINS: ' https://a.example.org, http://localhost:5173 ,',
    });
    expect(list.cors).toEqual({ origins: ['https://a.example.org', 'http://localhost:5173'] });
  });

  it('fails at start on a misspelt origin instead of a silent CORS failure later', () => {
    const load = () =>
      loadConfig({ SMOGCAST_RUNTIME: 'aws', CORS_ALLOW_ORIGINS: 'https://ok.example,ftp//x' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/CORS_ALLOW_ORIGINS: "ftp\/\/x" is not "\*" or an origin/);
  });

  it('names the variable the local runtime must set', () => {
    const config = loadConfig({ SMOGCAST_RUNTIME: 'local' });
    expect(() => createObjectStore(config)).toThrow(/S3_ENDPOINT is required/);
  });
});

describe('handler modules', () => {
  const saved = process.env.SMOGCAST_RUNTIME;
  afterEach(() => {
    if (saved === undefined) delete process.env.SMOGCAST_RUNTIME;
    else process.env.SMOGCAST_RUNTIME = saved;
  });

  it('import without an environment, and fail the first invocation with a ConfigError', async () => {
    // Prepare
    delete process.env.SMOGCAST_RUNTIME;

    // Act: importing builds nothing yet.
    const forecast = await import('../../../../functions/forecast/handler.js');
    const recordRun = await import('../../../../functions/record-run/handler.js');

    // Assess
    expect(() => forecast.handler({} as never, {} as never)).toThrow(ConfigError);
    expect(() => recordRun.handler({} as never, {} as never)).toThrow(/SMOGCAST_RUNTIME/);
  });
});

// The whole local pipeline end to end, with real parts: the MQTT broker, the S3-compatible
// server and the AWS SDK against it, simulated devices on aws-iot-device-sdk-v2, the retrain
// state machine executed from its definition, the local SageMaker stand-ins, the HTTP API.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeviceAccuracyResponse,
  FleetAccuracyResponse,
  ModelsResponse,
  RunsResponse,
} from '../../core/accuracy.js';
import { createMqttClient, openConnection } from '../../device/connection.js';
import { type Fleet, startFleet } from '../../device/fleet.js';
import { S3ObjectStore } from '../../functions/common/adapters/s3-object-store.js';
import { createLocalS3Client } from '../../functions/common/deps.js';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime.js';
import { testRuntimeSettings } from './api-fixture.js';
import { teardown } from './teardown.js';

const API_KEY = 'test-key-0123456789';
const DEVICES = 3;

let dataDir: string;
let runtime: LocalRuntime;
let fleet: Fleet | undefined;

const get = async (path: string, key: string | null = API_KEY) => {
  const res = await fetch(`${runtime.apiUrl}${path}`, { headers: key ? { 'x-api-key': key } : {} });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field.
    body: JSON.parse(text) as Record<string, any>,
  };
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'smogcast-pipeline-'));
  runtime = await startLocalRuntime(testRuntimeSettings(dataDir, API_KEY));
});

afterAll(() =>
  teardown(
    [dataDir],
    () => fleet?.stop(),
    () => runtime?.close(),
  ),
);

describe('local pipeline, end to end', () => {
  it('answers 503 with Retry-After before any model is deployed', async () => {
    const res = await get('/forecast?deviceId=sim-001&metric=pm25');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('60');
    expect(res.body.error).toMatch(/no model/);
  });

  it('ingests a simulated fleet; a spoofed reading reaches raw/ for the ETL, non-JSON is counted', async () => {
    // Prepare / Act: 4 days of half-hourly history from 3 devices, plus two bad messages.
    fleet = await startFleet({
      broker: { kind: 'local', url: runtime.mqttUrl },
      devices: DEVICES,
      seed: 7,
      backfillHours: 96,
      stepMinutes: 30,
      realtime: false,
    });
    await fleet.backfillDone;
    const connection = await openConnection(
      createMqttClient(),
      { kind: 'local', url: runtime.mqttUrl },
      'intruder',
    );
    await connection.publish('smogcast/sim-001/telemetry', 'not json at all');
    await connection.publish(
      'smogcast/sim-001/telemetry',
      JSON.stringify({ deviceId: 'sim-002', ts: new Date().toISOString(), pm25: 1 }),
    );
    await connection.close();
    await runtime.drain();
    // Assess
    const sent = fleet.stats().acked;
    expect(sent).toBe(DEVICES * 96 * 2);
    // The rule selects every JSON object (the ETL quarantines the spoofed one, see the retrain
    // run); the payload that is not JSON is what IoT counts as a ParseError: counted, sampled.
    expect(runtime.counters.stored).toBe(sent + 1);
    expect(runtime.counters.unparsed).toBe(1);
    const store = new S3ObjectStore(createLocalS3Client(runtime.s3Url), 'smogcast-lake');
    const rawKeys = await store.list('raw/');
    expect(rawKeys.length).toBeGreaterThan(0);
    expect(rawKeys[0]).toMatch(
      /^raw\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/smogcast-raw-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.gz$/,
    );
    const errorKeys = await store.list('errors/');
    const errorRecords = [];
    for (const key of errorKeys) {
      const text = new TextDecoder().decode(await store.get(key));
      for (const line of text.split('\n').filter(Boolean)) errorRecords.push(JSON.parse(line));
    }
    expect(errorRecords.map((r) => r.errorCode)).toEqual(['ParseError']);
    expect(Buffer.from(errorRecords[0].rawData, 'base64').toString()).toBe('not json at all');
    // The hot path: shard pages, history folded from them, and each shard's fleet summary.
    const contextKeys = await store.list('context/');
    expect(contextKeys.some((k) => /^context\/pages\/\d{4}\/\d{10}\.json$/.test(k))).toBe(true);
    expect(contextKeys.some((k) => /^context\/history\/\d{5}\.json$/.test(k))).toBe(true);
    expect(contextKeys.some((k) => /^context\/summary\/\d{4}\.json$/.test(k))).toBe(true);
    expect(contextKeys.every((k) => /^context\/(pages|history|summary)\//.test(k))).toBe(true);
  });

  it('runs the retrain state machine through every stage and deploys a model', async () => {
    // Act
    const run = await runtime.retrain();
    // Assess
    expect(run.status, `${run.error}: ${run.cause}`).toBe('SUCCEEDED');
    expect(run.outcome).toBe('promoted');
    // The spoofed reading the rule delivered to raw/ is in the quarantine, with its reason.
    const store = new S3ObjectStore(createLocalS3Client(runtime.s3Url), 'smogcast-lake');
    const quarantined = [];
    for (const key of await store.list('quarantine/')) {
      const text = new TextDecoder().decode(await store.get(key));
      for (const line of text.split('\n').filter(Boolean)) quarantined.push(JSON.parse(line));
    }
    expect(quarantined.map((q) => q.reason)).toEqual([
      'deviceId sim-002 does not match topic device sim-001',
    ]);
    expect(run.states.slice(0, 21)).toEqual([
      'Configure',
      'RunEtl',
      'PrepareDeepAr',
      'ScoreABTest',
      'ABTestActive?',
      'CheckDrift',
      // No engine canary in the pointer: none left by a run that ended mid-bake.
      'LeftoverCanary?',
      'TrainOrSkip',
      // The default stage's algorithm: deepar.
      'Algorithm?',
      'Train',
      'Evaluate',
      'PromoteOrReject',
      'ServeInProcess?',
      'CreateModel',
      'ABStart?',
      'CreateEndpointConfig',
      'TargetNew',
      'FindEndpoint',
      'EndpointMissing?',
      'CreateEndpoint',
      'WaitForEndpoint',
    ]);
    expect(run.states.slice(-5)).toEqual([
      'DescribeEndpoint',
      'EndpointReady?',
      'WhatWasDeployed?',
      'RecordPromoted',
      'Promoted',
    ]);
    expect(run.version).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
  });

  it('serves GET /forecast with the contract: 24 hourly means and the 0.1/0.5/0.9 quantiles', async () => {
    // Act
    const res = await get('/forecast?deviceId=sim-002&metric=pm25');
    // Assess
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = res.body;
    expect(body).toMatchObject({ deviceId: 'sim-002', metric: 'pm25', freq: 'H', horizon: 24 });
    expect(body.mean).toHaveLength(24);
    expect(Object.keys(body.quantiles).sort()).toEqual(['0.1', '0.5', '0.9']);
    for (let h = 0; h < 24; h++) {
      expect(body.quantiles['0.1'][h]).toBeLessThanOrEqual(body.quantiles['0.5'][h]);
      expect(body.quantiles['0.5'][h]).toBeLessThanOrEqual(body.quantiles['0.9'][h]);
      expect(Number.isFinite(body.mean[h])).toBe(true);
    }
    expect(Date.parse(body.start) % 3_600_000).toBe(0);
    const status = await get('/status');
    expect(body.model.version).toBe(status.body.model.version);
    expect(body.model.variant).toBe('primary');
  });

  it('rejects requests without a valid key and bad parameters with JSON errors', async () => {
    const missing = await get('/forecast?deviceId=sim-002&metric=pm25', null);
    expect(missing.status).toBe(401);
    expect(typeof missing.body.error).toBe('string');
    const wrong = await get('/forecast?deviceId=sim-002&metric=pm25', 'nope');
    expect(wrong.status).toBe(403);
    const badMetric = await get('/forecast?deviceId=sim-002&metric=smoke');
    expect(badMetric.status).toBe(400);
    expect(badMetric.body.error).toContain('metric');
    const unknown = await get('/forecast?deviceId=sim-999&metric=pm25');
    expect(unknown.status).toBe(404);
    const noRoute = await get('/nothing-here');
    expect(noRoute.status).toBe(404);
  });

  it('reports devices, records, the last run and the deployed model in GET /status', async () => {
    const res = await get('/status');
    expect(res.status).toBe(200);
    expect(res.body.devices).toEqual(['sim-001', 'sim-002', 'sim-003']);
    // The fleet's readings and the spoofed one (quarantined by the ETL, not by the rule).
    expect(res.body.records.stored).toBe(DEVICES * 96 * 2 + 1);
    expect(res.body.records.unparsed).toBe(1);
    expect(res.body.lastRun.outcome).toBe('promoted');
    expect(res.body.model.version).toBe(res.body.lastRun.version);
    expect(res.body.endpoint.status).toBe('InService');
  });

  it('retrains again and updates the endpoint in place, leaving it serving', async () => {
    // A champion older than the maximum age is retrained; any challenger within the margin wins.
    const run = await runtime.retrain({
      maxModelAgeHours: 1e-9,
      promotionMargin: -1,
      strategy: 'all-at-once',
      bakeSeconds: 0,
      terminationWaitSeconds: 0,
    });
    expect(run.status, `${run.error}: ${run.cause}`).toBe('SUCCEEDED');
    expect(run.outcome).toBe('promoted');
    expect(run.reasons?.[0]).toMatch(/h old/);
    expect(run.states).toContain('UpdateEndpointAllAtOnce');
    const res = await get('/forecast?deviceId=sim-001&metric=o3&horizon=6&quantiles=0.25,0.75');
    expect(res.status).toBe(200);
    expect(res.body.mean).toHaveLength(6);
    expect(Object.keys(res.body.quantiles)).toEqual(['0.25', '0.75']);
  });

  it('after two retrains shows backtests, the run history and the registry timeline', async () => {
    // The second run backtested the first model, the champion then, on its held-out days.
    const runs = RunsResponse.parse((await get('/runs?limit=5')).body);
    const models = ModelsResponse.parse((await get('/models')).body);
    const fleet = FleetAccuracyResponse.parse((await get('/accuracy?days=2')).body);
    const first = models.models.at(-1)?.version;

    expect(runs.runs.length).toBeGreaterThanOrEqual(2);
    const [latest] = runs.runs;
    expect(latest?.outcome).toBe('promoted');
    expect(latest?.states.map((s) => s.name)).toContain('Evaluate');
    expect(latest?.states.every((s) => s.startedAt !== null && s.seconds !== null)).toBe(true);
    expect(latest?.psiThreshold).toEqual(expect.any(Number));
    expect(models.events.filter((e) => e.kind === 'promoted')).toHaveLength(2);
    expect(models.champion?.version).toBe(models.models[0]?.version);
    const backtest = fleet.backtests.find((b) => b.version === first);
    expect(backtest).toMatchObject({ role: 'champion', origins: 3 });
    expect(runs.runs.map((r) => r.runId)).toContain(backtest?.runId);
    expect(backtest?.points).toBeGreaterThan(0);
    expect(backtest?.meanWql).toEqual(expect.any(Number));
    const device = DeviceAccuracyResponse.parse(
      (await get('/accuracy?deviceId=sim-001&metric=pm25&days=2')).body,
    );
    expect(device.backtests.filter((w) => w.version === first)).toHaveLength(3);
    expect(device.backtests[0]?.actual.length).toBeGreaterThan(0);
  });
});

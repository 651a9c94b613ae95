// Contract tests of every API endpoint, and a fuzz test with thousands of hostile query strings,
// against one real local runtime (API server → the Lambda handlers → S3 stand-in → endpoint).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../core/random.js';
import { API_KEY, type ServingRuntime, startServingRuntime } from './api-fixture.js';
import { rawGet } from './raw-http.js';

const ORIGIN = 'https://dashboard.example.org';
let serving: ServingRuntime;
let base: string;

const get = async (path: string, headers: Record<string, string> = { 'x-api-key': API_KEY }) => {
  const res = await fetch(`${base}${path}`, { headers });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    // biome-ignore lint/suspicious/noExplicitAny: JSON bodies are asserted field by field.
    body: (text ? JSON.parse(text) : undefined) as Record<string, any>,
  };
};

beforeAll(async () => {
  serving = await startServingRuntime({ devices: 3, corsOrigins: [ORIGIN] });
  base = serving.runtime.apiUrl;
});

afterAll(async () => {
  await serving?.close();
});

describe('GET /forecast', () => {
  it('answers with the README API contract, cache validators and the variant that answered', async () => {
    const res = await get('/forecast?deviceId=sim-001&metric=pm25');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: 'sim-001', metric: 'pm25', freq: 'H', horizon: 24 });
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'deviceId',
        'metric',
        'freq',
        'start',
        'horizon',
        'mean',
        'quantiles',
        'model',
        'generatedAt',
      ].sort(),
    );
    expect(res.body.mean).toHaveLength(24);
    expect(Object.keys(res.body.quantiles)).toEqual(['0.1', '0.5', '0.9']);
    expect(res.body.model.version).toMatch(/^\d{8}-\d{6}/);
    expect(typeof res.body.model.variant).toBe('string');
    expect(res.headers.get('etag')).toMatch(/^W\/"[\w-]+"$/);
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+$/);
    const maxAge = Number(res.headers.get('cache-control')?.split('=')[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(3600);
  });

  it('reuses the hour’s forecast: a shorter horizon is a prefix, and 304 on If-None-Match', async () => {
    const full = await get('/forecast?deviceId=sim-002&metric=no2');
    const short = await get('/forecast?deviceId=sim-002&metric=no2&horizon=6');
    expect(short.body.mean).toEqual(full.body.mean.slice(0, 6));
    expect(short.body.quantiles['0.9']).toEqual(full.body.quantiles['0.9'].slice(0, 6));
    expect(short.body.generatedAt).toBe(full.body.generatedAt);
    expect(short.headers.get('etag')).not.toBe(full.headers.get('etag'));
    const etag = full.headers.get('etag') ?? '';
    const again = await get('/forecast?deviceId=sim-002&metric=no2', {
      'x-api-key': API_KEY,
      'If-None-Match': etag,
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    const stale = await get('/forecast?deviceId=sim-002&metric=no2', {
      'x-api-key': API_KEY,
      'If-None-Match': 'W/"something-else"',
    });
    expect(stale.status).toBe(200);
  });

  it('computes a burst of identical requests once (single-flight)', async () => {
    // Prepare: a quantile set nobody asked for yet, so the burst starts with a cache miss.
    const path = '/forecast?deviceId=sim-003&metric=o3&quantiles=0.05,0.5,0.95';
    // Act
    const answers = await Promise.all(Array.from({ length: 40 }, () => get(path)));
    // Assess: one computation means one generatedAt and byte-identical bodies.
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(new Set(answers.map((a) => a.body.generatedAt)).size).toBe(1);
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(Object.keys(answers[0]?.body.quantiles ?? {})).toEqual(['0.05', '0.5', '0.95']);
  });

  it.each([
    ['/forecast?metric=pm25', 400, 'deviceId'],
    ['/forecast?deviceId=sim-001&metric=smoke', 400, 'metric must be one of'],
    ['/forecast?deviceId=sim-001&metric=pm25&horizon=25', 400, 'horizon must be between 1 and 24'],
    ['/forecast?deviceId=sim-001&metric=pm25&quantiles=0,1', 400, 'quantile'],
    ['/forecast?deviceId=sim-001&deviceId=sim-002&metric=pm25', 400, 'more than once'],
    ['/forecast?deviceId=sim-404&metric=pm25', 404, 'unknown device'],
  ])('%s → %i with a JSON error', async (path, status, message) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body.error).toContain(message);
  });
});

describe('GET /devices', () => {
  it('lists devices with last reading time, position, metrics and latest values', async () => {
    const res = await get('/devices');
    expect(res.status).toBe(200);
    expect(res.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(
      serving.deviceIds,
    );
    for (const device of res.body.devices) {
      expect(Date.parse(device.lastReadingAt)).toBeGreaterThan(0);
      expect(device.lat).toBeGreaterThan(-90);
      expect(device.lon).toBeGreaterThan(-180);
      expect(device.metrics).toEqual(['o3', 'pm25', 'pm10', 'co', 'so2', 'no2']);
      expect(typeof device.latest.pm25.value).toBe('number');
    }
  });

  it('gives one device’s hourly history that ends where the forecast starts', async () => {
    const history = await get('/devices?deviceId=sim-001&metric=pm25&hours=48');
    const forecast = await get('/forecast?deviceId=sim-001&metric=pm25');
    expect(history.status).toBe(200);
    expect(history.body.hours).toBe(48);
    expect(history.body.series.pm25).toHaveLength(48);
    expect(Object.keys(history.body.series)).toEqual(['pm25']);
    const end = Date.parse(history.body.start) + 48 * 3_600_000;
    expect(new Date(end).toISOString()).toBe(forecast.body.start);
  });

  it('pages through the fleet with limit and cursor, and searches with q', async () => {
    const first = await get('/devices?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(
      serving.deviceIds.slice(0, 2),
    );
    expect(first.body.total).toBe(serving.deviceIds.length);
    const rest = await get(`/devices?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(
      serving.deviceIds.slice(2),
    );
    expect(rest.body.nextCursor).toBeNull();
    const found = await get('/devices?q=SIM-002');
    expect(found.body.devices.map((d: { deviceId: string }) => d.deviceId)).toEqual(['sim-002']);
  });

  it.each([
    ['/devices?limit=0', 400],
    ['/devices?limit=1001', 400],
    ['/devices?limit=ten', 400],
    ['/devices?cursor=%21%21', 400],
    ['/devices?q=%3Cb%3E', 400],
    ['/devices?deviceId=sim-001&limit=5', 400],
    ['/devices?deviceId=sim-404', 404],
    ['/devices?deviceId=sim-001&hours=0', 400],
    ['/devices?deviceId=sim-001&hours=100000', 400],
    ['/devices?metric=pm25', 400],
    ['/devices?deviceId=%3Cscript%3E', 400],
  ])('%s → %i with a JSON error', async (path, status) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(typeof res.body.error).toBe('string');
  });
});

describe('GET /status', () => {
  it('reports readings, runs, the champion with its metrics, canary and drift', async () => {
    const res = await get('/status');
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.devices).toEqual(serving.deviceIds);
    expect(s.lastReadings).toHaveLength(3);
    expect(Date.parse(s.lastReadingAt)).toBeGreaterThan(0);
    expect(s.champion.version).toMatch(/^\d{8}-\d{6}/);
    expect(Object.keys(s.champion.metrics).length).toBeGreaterThan(0);
    expect(s.runs.length).toBeGreaterThanOrEqual(1);
    expect(s.runs[0].runId).toMatch(/^run-/);
    expect(['none', 'in-flight', 'promoted', 'rolled-back', 'rejected']).toContain(s.canary.state);
    expect(typeof s.drift.computed).toBe('boolean');
    expect(s.records.stored).toBe(3 * 96 * 2);
    expect(s.endpoint.status).toBe('InService');
  });
});

describe('API keys and CORS', () => {
  it.each(['/forecast?deviceId=sim-001&metric=pm25', '/devices', '/status'])(
    '%s needs a key: 401 without, 403 with a wrong one',
    async (path) => {
      const missing = await get(path, {});
      expect(missing.status).toBe(401);
      expect(typeof missing.body.error).toBe('string');
      const wrong = await get(path, { 'x-api-key': 'not-the-key' });
      expect(wrong.status).toBe(403);
      expect(typeof wrong.body.error).toBe('string');
    },
  );

  it('answers the configured origin’s preflight and responses, not other origins', async () => {
    const preflight = await fetch(`${base}/forecast`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Headers': 'x-api-key' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Api-Key');
    const ok = await get('/devices', { 'x-api-key': API_KEY, Origin: ORIGIN });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const denied = await get('/devices', { 'x-api-key': 'wrong', Origin: ORIGIN });
    expect(denied.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const other = await get('/devices', { 'x-api-key': API_KEY, Origin: 'https://evil.example' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('takes CORS from the handlers: on every API answer, errors included, and not elsewhere', async () => {
    // Act
    const answers = await Promise.all(
      [
        '/forecast?deviceId=sim-001&metric=pm25',
        '/forecast?deviceId=sim-001&metric=nope',
        '/forecast?deviceId=nobody&metric=pm25',
        '/devices',
        '/devices?deviceId=nobody',
        '/status',
      ].map((path) => get(path, { 'x-api-key': API_KEY, Origin: ORIGIN })),
    );
    // The health check's handler sets no CORS headers, and the gateway adds none to it.
    const health = await get('/health', { Origin: ORIGIN });

    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 400, 404, 200, 404, 200]);
    for (const a of answers) {
      expect(a.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(a.headers.get('access-control-expose-headers')).toContain('ETag');
      expect(a.headers.get('vary')).toContain('Origin');
    }
    expect(health.status).toBe(200);
    expect(health.headers.get('access-control-allow-origin')).toBeNull();
  });
});

// ---------------------------------------------------------------- fuzz
const NAMES = [
  'deviceId',
  'metric',
  'horizon',
  'quantiles',
  'hours',
  '__proto__',
  'constructor',
  'toString',
  'deviceId[]',
  '',
  '%00',
  'metric%00',
  'DEVICEID',
  '💨',
  'a'.repeat(300),
  'hasOwnProperty',
];
const VALUES = [
  'sim-001',
  'sim-002',
  'sim-999',
  'pm25',
  'o3',
  'no2',
  'smoke',
  '',
  ' ',
  '24',
  '25',
  '0',
  '1',
  '-1',
  '1e3',
  '1e309',
  'NaN',
  'Infinity',
  '0x10',
  '3.5',
  '0.1,0.5,0.9',
  '0.5,',
  ',,,',
  '0,1',
  '.5',
  '0.1'.repeat(80),
  "' OR 1=1--",
  '"; DROP TABLE devices;--',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '$' + '{jndi:ldap://x/a}', // log4shell, split so it stays a plain string
  '{{7*7}}',
  '%00',
  '%zz',
  '%E0%A4%A',
  '%C0%AE%C0%AE',
  '💨🏭',
  'Ωμέγα',
  '\u202emoc.live',
  '漢字',
  '\u0000',
  '\r\nX-Injected: 1',
  '[]',
  '{}',
  'null',
  'true',
  '__proto__',
  'a'.repeat(2000),
];
// Every API path and its near misses (`/` is the dashboard's HTML, not the API: left out).
const PATHS = [
  '/forecast',
  '/forecast',
  '/forecast',
  '/devices',
  '/status',
  '/forecast/',
  '/FORECAST',
  '//forecast',
  '/forecast/../status',
  '/%2e%2e/forecast',
  '/health',
  '/nope',
];

const fuzzTarget = (random: () => number): string => {
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const encode = (s: string) => {
    const r = random();
    if (r < 0.4) return encodeURIComponent(s);
    if (r < 0.8) return s; // raw: spaces, unicode, CR/LF and all
    return s.replace(/[a-z]/g, (c) => `%${c.charCodeAt(0).toString(16)}`);
  };
  const roll = random();
  if (roll < 0.03) return `/forecast?${'x'.repeat(Math.floor(random() * 40_000))}`; // huge
  if (roll < 0.05) return '/forecast?'; // empty
  if (roll < 0.06) return '*';
  if (roll < 0.07) return 'http://[::1/forecast';
  const params: string[] = [];
  if (random() < 0.7) params.push(`deviceId=${pick(['sim-001', 'sim-002', 'sim-003'])}`);
  if (random() < 0.7) params.push(`metric=${pick(['pm25', 'o3', 'co'])}`);
  const extra = Math.floor(random() * 5);
  for (let i = 0; i < extra; i++) {
    const name = encode(pick(NAMES));
    const value = encode(pick(VALUES));
    params.push(random() < 0.1 ? name : `${name}=${value}`);
    if (random() < 0.15) params.push(params.at(-1) ?? ''); // repeated parameter
  }
  for (let i = params.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [params[i], params[j]] = [params[j] as string, params[i] as string];
  }
  const sep = random() < 0.1 ? '&&' : '&';
  return `${pick(PATHS)}?${params.join(sep)}${random() < 0.05 ? '#frag' : ''}`;
};

describe('fuzzing the query string', () => {
  it('answers thousands of hostile requests only with 200/304/400/401/403/404/503 and JSON', async () => {
    // Prepare
    // Seeded, so a failing case can be replayed.
    const random = createRandom(20261126);
    const cases = Array.from({ length: 3000 }, () => {
      const roll = random();
      const headers: Record<string, string> =
        roll < 0.05
          ? {}
          : roll < 0.08
            ? { 'x-api-key': 'k'.repeat(500) }
            : { 'x-api-key': API_KEY };
      if (random() < 0.1) headers['If-None-Match'] = random() < 0.5 ? '*' : 'W/"x", "y"';
      return { target: fuzzTarget(random), headers };
    });
    const allowed = new Set([200, 304, 400, 401, 403, 404, 503]);
    const counts = new Map<number, number>();
    const failures: string[] = [];
    // Act: 8 connections at a time; each request on its own connection, sent byte for byte.
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++] as (typeof cases)[number];
        const res = await rawGet(base, c.target, c.headers);
        counts.set(res.status, (counts.get(res.status) ?? 0) + 1);
        let problem: string | undefined;
        if (!allowed.has(res.status)) problem = `status ${res.status}`;
        else if (res.status !== 304) {
          if (!res.headers['content-type']?.startsWith('application/json')) {
            problem = `content-type ${res.headers['content-type']}`;
          } else {
            try {
              const body = JSON.parse(res.body);
              if (res.status >= 400 && typeof body.error !== 'string') problem = 'no error field';
            } catch {
              problem = `non-JSON body ${JSON.stringify(res.body.slice(0, 80))}`;
            }
          }
        }
        if (problem) failures.push(`${problem} for ${JSON.stringify(c.target.slice(0, 200))}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // Assess
    expect(failures.slice(0, 10)).toEqual([]);
    // The generator really reached every kind of answer, not just one.
    for (const status of [200, 400, 401, 403, 404]) {
      expect(counts.get(status) ?? 0, `answers with ${status}`).toBeGreaterThan(10);
    }
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(3000);
  });
});

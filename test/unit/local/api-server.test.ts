import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiServer, startApiServer } from '../../../local/api-server.js';

const ORIGIN = 'https://dashboard.example.org';
const KEY = 'gateway-test-key';

const answer = (headers: Record<string, string>) => async (): Promise<APIGatewayProxyResult> => ({
  statusCode: 200,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: '{"ok":true}',
});

let server: ApiServer;

beforeAll(async () => {
  server = await startApiServer({
    host: '127.0.0.1',
    port: 0,
    apiKey: KEY,
    cors: { origins: [ORIGIN] },
    routes: {
      '/plain': { handler: answer({}), requiresKey: true },
      // A handler with a CORS bug: the gateway must not paper over it.
      '/wrong': {
        handler: answer({ 'Access-Control-Allow-Origin': 'https://elsewhere.example' }),
        requiresKey: true,
      },
    },
  });
});

afterAll(async () => {
  await server?.close();
});

describe('local API gateway CORS', () => {
  it('passes a handler’s answer through as the handler made it', async () => {
    // Act
    const plain = await fetch(`${server.url}/plain`, {
      headers: { 'x-api-key': KEY, Origin: ORIGIN },
    });
    const wrong = await fetch(`${server.url}/wrong`, {
      headers: { 'x-api-key': KEY, Origin: ORIGIN },
    });

    // Assess
    expect(plain.status).toBe(200);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
    expect(wrong.headers.get('access-control-allow-origin')).toBe('https://elsewhere.example');
  });

  it('puts CORS headers on its own answers and answers the preflight', async () => {
    // Act
    const denied = await fetch(`${server.url}/plain`, {
      headers: { 'x-api-key': 'no', Origin: ORIGIN },
    });
    const missing = await fetch(`${server.url}/nowhere`, { headers: { Origin: ORIGIN } });
    const preflight = await fetch(`${server.url}/plain`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    const foreign = await fetch(`${server.url}/plain`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });

    // Assess
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
    expect(foreign.status).toBe(204);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

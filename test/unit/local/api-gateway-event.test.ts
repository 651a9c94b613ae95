import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { toApiGatewayEvent } from '../../../local/api-gateway-event.js';

const request = (rawHeaders: string[]) =>
  ({
    method: 'GET',
    httpVersion: '1.1',
    rawHeaders,
    headers: { 'user-agent': 'test' },
    socket: { remoteAddress: '127.0.0.1' },
  }) as unknown as IncomingMessage;

describe('local API Gateway proxy event', () => {
  it.each([
    'deviceId=sim-001&metric=pm25',
    'a=1&&b=2&a=3',
    'flag&x=',
    'q=0.1,0.5&x=a%20b&y=c+d&%7Bk%7D=v',
    '=v&k==w',
    '__proto__=1&constructor=2',
  ])('reads the query %j exactly as URLSearchParams does', (raw) => {
    const event = toApiGatewayEvent(request([]), '/forecast', raw, '/forecast', undefined);
    const expected: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(raw)) {
      if (!Object.hasOwn(expected, k))
        Object.defineProperty(expected, k, { value: [], enumerable: true, writable: true });
      expected[k]?.push(v);
    }
    expect(event.multiValueQueryStringParameters).toEqual(expected);
    for (const [k, values] of Object.entries(expected)) {
      expect(event.queryStringParameters?.[k]).toBe(values.at(-1));
    }
    expect(Object.getPrototypeOf(event.queryStringParameters)).toBe(Object.prototype);
  });

  it('gives null query maps without a query, and keeps every header spelling', () => {
    const event = toApiGatewayEvent(
      request(['Host', 'h', 'X-Api-Key', 'k', 'Accept', 'a', 'accept', 'b']),
      '/status',
      '',
      '/status',
      'k',
    );
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.headers).toEqual({ Host: 'h', 'X-Api-Key': 'k', Accept: 'a', accept: 'b' });
    expect(event.requestContext.identity.apiKey).toBe('k');
    expect(JSON.parse(JSON.stringify(event))).toMatchObject({
      path: '/status',
      httpMethod: 'GET',
      headers: { Host: 'h' },
    });
  });
});

// Builds the API Gateway REST (v1 proxy) event a Lambda receives, from a node:http request, so
// the local API server invokes the very handlers deployed behind API Gateway.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/** Sets an own data property; plain assignment of `__proto__` would set the prototype. */
const setOwn = <T>(target: Record<string, T>, key: string, value: T) => {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
};

/**
 * API Gateway keeps the last value of a repeated name in the single-value map and all of them in
 * the multi-value one. Names like `constructor` or `__proto__` arrive from clients and must stay
 * plain data (own properties), never reach Object.prototype.
 */
const singleMap = (pairs: string[]): Record<string, string> | null => {
  if (pairs.length === 0) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2)
    setOwn(out, pairs[i] as string, pairs[i + 1] as string);
  return out;
};

const multiMap = (pairs: string[]): Record<string, string[]> | null => {
  if (pairs.length === 0) return null;
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const key = pairs[i] as string;
    const list = Object.hasOwn(out, key) ? out[key] : undefined;
    if (list) list.push(pairs[i + 1] as string);
    else setOwn(out, key, [pairs[i + 1] as string]);
  }
  return out;
};

/** Query pairs as URLSearchParams reads them; without escapes a plain split gives the same. */
const queryPairs = (rawQuery: string): string[] => {
  const pairs: string[] = [];
  if (rawQuery.length === 0) return pairs;
  if (rawQuery.includes('%') || rawQuery.includes('+')) {
    for (const [k, v] of new URLSearchParams(rawQuery)) pairs.push(k, v);
    return pairs;
  }
  for (const part of rawQuery.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    if (eq < 0) pairs.push(part, '');
    else pairs.push(part.slice(0, eq), part.slice(eq + 1));
  }
  return pairs;
};

/**
 * The REST proxy event of one request. Each map is built on first read and kept (a handler on a
 * cached hot path reads the query and one header, never the request context); `toJSON` gives
 * the plain event, so logging it shows every field.
 */
class ProxyEvent {
  readonly pathParameters = null;
  readonly stageVariables = null;
  readonly body = null;
  readonly isBase64Encoded = false;
  private query?: string[];
  private single?: { headers?: Record<string, string>; query?: Record<string, string> | null };
  private multi?: { headers?: Record<string, string[]>; query?: Record<string, string[]> | null };
  private context?: APIGatewayProxyEvent['requestContext'];
  private readonly requestTimeEpoch = Date.now();

  constructor(
    private readonly request: IncomingMessage,
    readonly path: string,
    private readonly rawQuery: string,
    readonly resource: string,
    private readonly apiKey: string | undefined,
    readonly httpMethod: string,
  ) {}

  private pairs(): string[] {
    this.query ??= queryPairs(this.rawQuery);
    return this.query;
  }

  get headers(): Record<string, string> {
    this.single ??= {};
    this.single.headers ??= singleMap(this.request.rawHeaders) ?? {};
    return this.single.headers;
  }

  get multiValueHeaders(): Record<string, string[]> {
    this.multi ??= {};
    this.multi.headers ??= multiMap(this.request.rawHeaders) ?? {};
    return this.multi.headers;
  }

  get queryStringParameters(): Record<string, string> | null {
    this.single ??= {};
    if (this.single.query === undefined) this.single.query = singleMap(this.pairs());
    return this.single.query;
  }

  get multiValueQueryStringParameters(): Record<string, string[]> | null {
    this.multi ??= {};
    if (this.multi.query === undefined) this.multi.query = multiMap(this.pairs());
    return this.multi.query;
  }

  get requestContext(): APIGatewayProxyEvent['requestContext'] {
    this.context ??= {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${this.request.httpVersion}`,
      httpMethod: this.httpMethod,
      identity: {
        apiKey: this.apiKey ?? null,
        apiKeyId: this.apiKey ? 'local' : null,
        sourceIp: this.request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: this.request.headers['user-agent'] ?? null,
        accessKey: null,
        accountId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
      path: this.path,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: this.requestTimeEpoch,
      resourceId: 'local',
      resourcePath: this.resource,
    };
    return this.context;
  }

  toJSON(): APIGatewayProxyEvent {
    return {
      resource: this.resource,
      path: this.path,
      httpMethod: this.httpMethod,
      headers: this.headers,
      multiValueHeaders: this.multiValueHeaders,
      queryStringParameters: this.queryStringParameters,
      multiValueQueryStringParameters: this.multiValueQueryStringParameters,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: this.requestContext,
    };
  }
}

export const toApiGatewayEvent = (
  request: IncomingMessage,
  path: string,
  rawQuery: string,
  resource: string,
  apiKey: string | undefined,
): APIGatewayProxyEvent =>
  new ProxyEvent(
    request,
    path,
    rawQuery,
    resource,
    apiKey,
    request.method ?? 'GET',
  ) as unknown as APIGatewayProxyEvent;

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
 * Groups repeated names. Names like `constructor` or `__proto__` arrive from clients and must stay
 * plain data (own properties), never reach Object.prototype. API Gateway keeps the last value of a
 * repeated parameter in the single-value map and all of them in the multi-value one.
 */
const singleAndMulti = (entries: Iterable<[string, string]>) => {
  let single: Record<string, string> | null = null;
  let multi: Record<string, string[]> | null = null;
  for (const [key, value] of entries) {
    single ??= {};
    multi ??= {};
    const values = Object.hasOwn(multi, key) ? multi[key] : undefined;
    if (values) values.push(value);
    else setOwn(multi, key, [value]);
    setOwn(single, key, value);
  }
  return { single, multi };
};

function* headerPairs(raw: string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < raw.length; i += 2) yield [raw[i] ?? '', raw[i + 1] ?? ''];
}

export const toApiGatewayEvent = (
  request: IncomingMessage,
  url: URL,
  resource: string,
  apiKey: string | undefined,
): APIGatewayProxyEvent => {
  const query = singleAndMulti(url.searchParams.entries());
  const headers = singleAndMulti(headerPairs(request.rawHeaders));
  return {
    resource,
    path: url.pathname,
    httpMethod: request.method ?? 'GET',
    headers: headers.single ?? {},
    multiValueHeaders: headers.multi ?? {},
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod: request.method ?? 'GET',
      identity: {
        apiKey: apiKey ?? null,
        apiKeyId: apiKey ? 'local' : null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? null,
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
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
};

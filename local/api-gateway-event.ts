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
const singleAndMulti = (keys: string[], values: string[]) => {
  let single: Record<string, string> | null = null;
  let multi: Record<string, string[]> | null = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = values[i] as string;
    single ??= {};
    multi ??= {};
    const list = Object.hasOwn(multi, key) ? multi[key] : undefined;
    if (list) list.push(value);
    else setOwn(multi, key, [value]);
    setOwn(single, key, value);
  }
  return { single, multi };
};

const queryMapsOf = (rawQuery: string) => {
  const keys: string[] = [];
  const values: string[] = [];
  if (rawQuery.length > 0) {
    for (const [key, value] of new URLSearchParams(rawQuery)) {
      keys.push(key);
      values.push(value);
    }
  }
  return singleAndMulti(keys, values);
};

const headerMapsOf = (raw: string[]) => {
  const keys: string[] = [];
  const values: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    keys.push(raw[i] as string);
    values.push(raw[i + 1] as string);
  }
  return singleAndMulti(keys, values);
};

/**
 * The REST proxy event of one request. Its maps are built on first read (a handler on a cached
 * hot path reads the query and one header, never the request context), then kept: to the
 * handler it is a plain event object.
 */
export const toApiGatewayEvent = (
  request: IncomingMessage,
  path: string,
  rawQuery: string,
  resource: string,
  apiKey: string | undefined,
): APIGatewayProxyEvent => {
  let query: ReturnType<typeof singleAndMulti> | undefined;
  let headers: ReturnType<typeof singleAndMulti> | undefined;
  let context: APIGatewayProxyEvent['requestContext'] | undefined;
  const queryMaps = () => {
    query ??= queryMapsOf(rawQuery);
    return query;
  };
  const headerMaps = () => {
    headers ??= headerMapsOf(request.rawHeaders);
    return headers;
  };
  const method = request.method ?? 'GET';
  const requestTimeEpoch = Date.now();
  return {
    resource,
    path,
    httpMethod: method,
    get headers() {
      return headerMaps().single ?? {};
    },
    get multiValueHeaders() {
      return headerMaps().multi ?? {};
    },
    get queryStringParameters() {
      return queryMaps().single;
    },
    get multiValueQueryStringParameters() {
      return queryMaps().multi;
    },
    pathParameters: null,
    stageVariables: null,
    body: null,
    isBase64Encoded: false,
    get requestContext() {
      context ??= {
        accountId: '000000000000',
        apiId: 'local',
        authorizer: null,
        protocol: `HTTP/${request.httpVersion}`,
        httpMethod: method,
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
        path,
        stage: 'local',
        requestId: randomUUID(),
        requestTimeEpoch,
        resourceId: 'local',
        resourcePath: resource,
      };
      return context;
    },
  } as APIGatewayProxyEvent;
};

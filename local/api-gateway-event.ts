// Builds the API Gateway REST (v1 proxy) event a Lambda receives, from a node:http request, so
// the local API server invokes the very handlers deployed behind API Gateway.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';

const singleAndMulti = (entries: Array<[string, string]>) => {
  if (entries.length === 0) return { single: null, multi: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of entries) {
    single[key] = value; // API Gateway keeps the last value of a repeated parameter.
    multi[key] = [...(multi[key] ?? []), value];
  }
  return { single, multi };
};

export const toApiGatewayEvent = (
  request: IncomingMessage,
  resource: string,
  apiKey: string | undefined,
): APIGatewayProxyEvent => {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const query = singleAndMulti([...url.searchParams.entries()]);
  const headerEntries: Array<[string, string]> = [];
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    headerEntries.push([request.rawHeaders[i] ?? '', request.rawHeaders[i + 1] ?? '']);
  }
  const headers = singleAndMulti(headerEntries);
  const requestId = randomUUID();
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
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: resource,
    },
  };
};

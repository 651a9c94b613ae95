// Local stand-in for API Gateway: checks the API key like a usage plan does, then invokes the
// same Lambda handlers with the same REST proxy event shape. Every answer is JSON.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { toApiGatewayEvent } from './api-gateway-event.js';

export type ApiHandler = (
  event: APIGatewayProxyEvent,
  context: Context,
) => Promise<APIGatewayProxyResult>;

export interface ApiRoute {
  handler: ApiHandler;
  /** Routes without a key are for health checks only. */
  requiresKey: boolean;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  apiKey: string;
  routes: Record<string, ApiRoute>;
  log?: (message: string) => void;
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

const send = (res: ServerResponse, result: APIGatewayProxyResult) => {
  res.writeHead(result.statusCode, {
    'Content-Type': 'application/json',
    ...(result.headers as Record<string, string>),
  });
  res.end(result.body);
};

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

const keyMatches = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const lambdaContext = (name: string): Context =>
  ({
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: 'local',
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }) as Context;

export const handleApiRequest = async (
  req: IncomingMessage,
  options: Pick<ApiServerOptions, 'apiKey' | 'routes'>,
): Promise<APIGatewayProxyResult> => {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const route = options.routes[path];
  if (!route) return json(404, { error: `no route ${path}` });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return {
      ...json(405, { error: `method ${req.method} not allowed` }),
      headers: { Allow: 'GET' },
    };
  }
  const rawKey = req.headers['x-api-key'];
  const key = Array.isArray(rawKey) ? rawKey[0] : rawKey;
  if (route.requiresKey) {
    if (!key) return json(401, { error: 'missing API key: send it in the x-api-key header' });
    if (!keyMatches(key, options.apiKey)) return json(403, { error: 'invalid API key' });
  }
  return route.handler(toApiGatewayEvent(req, path, key), lambdaContext(path.slice(1) || 'root'));
};

export const startApiServer = async (options: ApiServerOptions): Promise<ApiServer> => {
  const server = createServer((req, res) => {
    handleApiRequest(req, options)
      .then((result) => send(res, result))
      .catch((error: unknown) => {
        options.log?.(`api error: ${error instanceof Error ? error.stack : String(error)}`);
        send(res, json(500, { error: 'internal error' }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

// Local stand-in for API Gateway: checks the API key like a usage plan does, then invokes the
// same Lambda handlers with the same REST proxy event shape. Every API answer is JSON — even for
// requests node:http itself cannot parse — and it can also serve a static site (the dashboard).
// CORS as on AWS: the gateway answers preflights (serverless.yml's `cors: true`) and puts CORS
// headers on its own answers (401, 403, 404: the GatewayResponse); a handler's answer passes
// through as the handler made it, so a handler's CORS bug shows here as it would on AWS.
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { CorsPolicy } from '../functions/common/config.js';
import { cors as corsMiddlewares } from '../functions/common/http.js';
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

export interface StaticFile {
  body: Uint8Array;
  contentType: string;
}

export interface ApiServerOptions {
  host: string;
  port: number;
  apiKey: string;
  routes: Record<string, ApiRoute>;
  /** Browser origins allowed to call the API: for the gateway's own answers and preflights. */
  cors?: CorsPolicy;
  /** Static files by path (e.g. the dashboard at `/`), served without a key. */
  staticFiles?: (path: string) => StaticFile | undefined;
  log?: (message: string) => void;
}

export interface ApiServer {
  url: string;
  close(): Promise<void>;
}

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

const keyMatches = (given: string, expected: Buffer): boolean => {
  // Keys are ASCII: compare without allocating when the length already differs or matches.
  if (given.length !== expected.length) return false;
  const a = Buffer.from(given);
  return a.length === expected.length && timingSafeEqual(a, expected);
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

const parseUrl = (raw: string | undefined): URL | undefined => {
  try {
    // Origin-form targets are paths: `//forecast` must not turn into a host named "forecast".
    if (raw?.startsWith('/')) return new URL(`http://localhost${raw}`);
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
};

/** Path and raw query of a request target; plain `/path?query` targets skip the URL parser. */
const splitTarget = (raw: string | undefined): { path: string; query: string } | undefined => {
  if (raw?.startsWith('/') && !raw.startsWith('//')) {
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    // Anything the URL parser would normalise (escapes, dot segments, backslashes) goes through it.
    if (!/[%.\\#]/.test(path)) return { path, query: q < 0 ? '' : raw.slice(q + 1) };
  }
  const url = parseUrl(raw);
  return url ? { path: url.pathname, query: url.search.slice(1) } : undefined;
};

/**
 * Routes one request. Gateway answers (404, 401, …) are synchronous; a route's answer is the
 * handler's promise as it is (no extra async wrapper: on the cached hot path every turn of the
 * event loop counts).
 */
export const handleApiRequest = (
  req: IncomingMessage,
  options: Pick<ApiServerOptions, 'apiKey' | 'routes'>,
  contexts: Map<string, Context> = new Map(),
  expectedKey: Buffer = Buffer.from(options.apiKey),
): APIGatewayProxyResult | Promise<APIGatewayProxyResult> => {
  const target = splitTarget(req.url);
  if (!target) return json(400, { error: 'malformed request URL' });
  const { path } = target;
  const route = Object.hasOwn(options.routes, path) ? options.routes[path] : undefined;
  if (!route) return json(404, { error: 'no such route' });
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return {
      ...json(405, { error: `method ${req.method} not allowed` }),
      headers: { 'Content-Type': 'application/json', Allow: 'GET, HEAD' },
    };
  }
  const rawKey = req.headers['x-api-key'];
  const key = Array.isArray(rawKey) ? rawKey[0] : rawKey;
  if (route.requiresKey) {
    if (!key) return json(401, { error: 'missing API key: send it in the x-api-key header' });
    if (!keyMatches(key, expectedKey)) return json(403, { error: 'invalid API key' });
  }
  let context = contexts.get(path);
  if (!context) {
    context = lambdaContext(path.slice(1) || 'root');
    contexts.set(path, context);
  }
  return route.handler(toApiGatewayEvent(req, path, target.query, path, key), context);
};

const send = (req: IncomingMessage, res: ServerResponse, result: APIGatewayProxyResult) => {
  const body = result.statusCode === 304 ? '' : result.body;
  // The handler's header object is its own per response: complete it in place.
  const headers = (result.headers ?? {}) as Record<string, string | number>;
  headers['Content-Type'] ??= 'application/json';
  headers['Content-Length'] = Buffer.byteLength(body);
  res.writeHead(result.statusCode, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
};

const failed = (
  req: IncomingMessage,
  res: ServerResponse,
  log: ((message: string) => void) | undefined,
  error: unknown,
) => {
  log?.(`api error: ${error instanceof Error ? error.stack : String(error)}`);
  send(req, res, json(500, { error: 'internal error' }));
};

interface GatewayCors {
  /** The answer to a preflight (OPTIONS) request. */
  preflight(req: IncomingMessage): APIGatewayProxyResult;
  /** The gateway's own answer with the CORS headers the GatewayResponse adds. */
  decorate(req: IncomingMessage, result: APIGatewayProxyResult): APIGatewayProxyResult;
}

/** The gateway's CORS, by the same @middy/http-cors setup the handlers use. */
const gatewayCors = (policy: CorsPolicy): GatewayCors => {
  const [middleware] = corsMiddlewares(policy, { preflight: true });
  const run = (
    phase: 'before' | 'after',
    req: IncomingMessage,
    response: APIGatewayProxyResult | undefined,
  ): APIGatewayProxyResult => {
    const request = {
      event: { httpMethod: req.method, headers: req.headers },
      response,
    } as unknown as Parameters<NonNullable<NonNullable<typeof middleware>['after']>>[0];
    middleware?.[phase]?.(request);
    return (
      (request.response as APIGatewayProxyResult | undefined) ?? {
        statusCode: 204,
        headers: {},
        body: '',
      }
    );
  };
  return {
    preflight: (req) => run('before', req, undefined),
    decorate: (req, result) => (middleware ? run('after', req, result) : result),
  };
};

/** What node:http could not parse (huge headers, bad bytes) still gets a JSON 400. */
const answerClientError = (error: Error & { code?: string }, socket: Duplex) => {
  if (!socket.writable || (error.code === 'ECONNRESET' && !socket.writable)) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({
    error: error.code === 'HPE_HEADER_OVERFLOW' ? 'request too large' : 'malformed request',
  });
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
};

export const startApiServer = async (options: ApiServerOptions): Promise<ApiServer> => {
  const contexts = new Map<string, Context>();
  const expectedKey = Buffer.from(options.apiKey);
  const cors = gatewayCors(options.cors ?? { origins: [] });
  // requireHostHeader off: node would answer a Host-less HTTP/1.1 request with an empty 400.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    if (req.httpVersionMinor >= 1 && req.headers.host === undefined) {
      send(req, res, cors.decorate(req, json(400, { error: 'missing Host header' })));
      return;
    }
    if (req.method === 'OPTIONS') {
      const preflight = cors.preflight(req);
      res.writeHead(preflight.statusCode, { ...preflight.headers, 'Content-Length': 0 });
      res.end();
      return;
    }
    // API paths never look at the static files (one URL parse less on the hot path).
    const apiPath = req.url?.startsWith('/forecast?') || req.url?.startsWith('/devices');
    const file =
      !apiPath && options.staticFiles && (req.method === 'GET' || req.method === 'HEAD')
        ? options.staticFiles(parseUrl(req.url)?.pathname ?? '')
        : undefined;
    if (file) {
      res.writeHead(200, {
        'Content-Type': file.contentType,
        'Content-Length': file.body.byteLength,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : file.body);
      return;
    }
    try {
      const result = handleApiRequest(req, options, contexts, expectedKey);
      if (result instanceof Promise) {
        result.then(
          (r) => send(req, res, r),
          (error: unknown) => failed(req, res, options.log, error),
        );
      } else {
        // Not a handler's: the gateway answered itself (404, 401, 403, 405).
        send(req, res, cors.decorate(req, result));
      }
    } catch (error) {
      failed(req, res, options.log, error);
    }
  });
  server.on('clientError', answerClientError);
  // An Expect other than 100-continue: node's own answer is a 417 without a body.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('Connection', 'close');
    const expectation = String(req.headers.expect).slice(0, 100);
    send(req, res, json(417, { error: `Expect: ${expectation} is not supported` }));
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

// HTTP plumbing shared by the API handlers (forecast, devices, status): client errors that carry
// their status code, JSON responses, the official middy CORS and error-handler middlewares set up
// for this API, and conditional requests. Every error becomes a JSON body: `{"error": …}` with
// the client error's status, and a plain 500 only for what no client input can cause.
import type { MiddlewareObj } from '@middy/core';
import httpCors from '@middy/http-cors';
import httpErrorHandler from '@middy/http-error-handler';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { SmogcastError } from '../../core/errors.js';
import type { CorsPolicy } from './config.js';
import { logger } from './logger.js';

/**
 * An error a client caused (or may retry), shaped for @middy/http-error-handler: `statusCode`,
 * `expose` (503 included: its message is meant for the client), a JSON `message` (the body) and
 * extra `headers`. `reason` keeps the plain text.
 */
export class HttpError extends SmogcastError {
  readonly expose = true;
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(JSON.stringify({ error: reason }), options);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, message);
export const notFound = (message: string) => new HttpError(404, message);
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new HttpError(503, message, { 'Retry-After': String(retryAfterSeconds) });

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

type HttpMiddleware = MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>;

/**
 * @middy/http-error-handler for this API: HttpErrors answered with their status and JSON body;
 * anything else is logged (it is a bug or an outage, not the client's doing) and answered with a
 * JSON 500.
 */
export const httpErrors = (): HttpMiddleware =>
  httpErrorHandler({
    logger: (error: unknown) => {
      if (!(error instanceof HttpError)) logger.error('unhandled error', error as Error);
    },
    fallbackMessage: JSON.stringify({ error: 'internal error' }),
  }) as HttpMiddleware;

export const ALLOWED_HEADERS = 'Content-Type,X-Api-Key,If-None-Match';

/** @middy/http-cors options for a policy; `preflight` lets it answer OPTIONS itself. */
const corsOptions = (policy: CorsPolicy, preflight: boolean) => ({
  origins: [...policy.origins],
  headers: ALLOWED_HEADERS,
  methods: 'GET,HEAD,OPTIONS',
  exposeHeaders: 'ETag,Retry-After',
  maxAge: 600,
  disableBeforePreflightResponse: !preflight,
});

/**
 * CORS headers on every response, errors included (a browser hides them otherwise), by
 * @middy/http-cors. A list for middy's `use`: empty when no origin is configured, so an API
 * without browser clients pays nothing per request.
 */
export const cors = (
  policy: CorsPolicy,
  options: { preflight?: boolean } = {},
): HttpMiddleware[] =>
  policy.origins.length === 0
    ? []
    : [httpCors(corsOptions(policy, options.preflight ?? false)) as HttpMiddleware];

/** Case-insensitive header lookup (API Gateway keeps the client's spelling). */
export const headerValue = (
  headers: Record<string, string | undefined> | null | undefined,
  name: string,
): string | undefined => {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const key in headers) {
    // The length check spares the lower-casing of every other header (this runs per request).
    if (key.length === lower.length && key.toLowerCase() === lower && Object.hasOwn(headers, key)) {
      return headers[key];
    }
  }
  return undefined;
};

/** A single query parameter; repeated parameters are a client error, not "last one wins". */
export const rejectRepeatedParameters = (event: APIGatewayProxyEvent): void => {
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const name in multi) {
    if (Object.hasOwn(multi, name) && (multi[name]?.length ?? 0) > 1) {
      throw badRequest(`parameter ${name} is given more than once`);
    }
  }
};

/** The query validated by a zod schema; repeated parameters and its issues become one 400. */
export const parseQuery = <S extends z.ZodType>(
  schema: S,
  event: APIGatewayProxyEvent,
): z.output<S> => {
  rejectRepeatedParameters(event);
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) {
    throw badRequest(
      parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; '),
    );
  }
  return parsed.data;
};

/** True when an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks). */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean => {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare);
};

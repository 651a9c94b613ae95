// HTTP plumbing shared by the API handlers: JSON responses, client errors that carry their
// status code, CORS, conditional requests, and a middy error handler that turns every error
// into a JSON body (never a bare 500 for anything a client sends).
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { SmogcastError } from '../../core/errors.js';

export class HttpError extends SmogcastError {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
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

/** Maps thrown errors to JSON responses; anything unexpected is logged and answered with 500. */
export const httpErrorHandler = (
  log: (message: string, error: unknown) => void = (message, error) =>
    console.error(message, error),
): MiddlewareObj<unknown, APIGatewayProxyResult> => ({
  onError: async (request) => {
    const error = request.error;
    if (error instanceof HttpError) {
      request.response = jsonResponse(error.statusCode, { error: error.message }, error.headers);
      return;
    }
    log('unhandled error', error);
    request.response = jsonResponse(500, { error: 'internal error' });
  },
});

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
  for (const [name, values] of Object.entries(multi)) {
    if ((values?.length ?? 0) > 1) throw badRequest(`parameter ${name} is given more than once`);
  }
};

/** Which browser origins may call the API: '*', or an exact list. Empty = no CORS headers. */
export interface CorsPolicy {
  origins: readonly string[];
}

export const ALLOWED_HEADERS = 'Content-Type,X-Api-Key,If-None-Match';

/**
 * Parses `CORS_ALLOW_ORIGINS` ("*" or a comma-separated list of origins). A misspelt origin is a
 * configuration error worth failing on at start, not a silent CORS failure in a browser later.
 */
export const parseCorsOrigins = (raw: string | undefined): CorsPolicy => {
  const origins = (raw ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o.length > 0);
  for (const origin of origins) {
    if (origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new SmogcastError(
        `CORS_ALLOW_ORIGINS: "${origin}" is not "*" or an origin like https://example.org`,
      );
    }
  }
  return { origins };
};

/** The CORS response headers for a request from `origin` (none when it is not allowed). */
export const corsHeaders = (
  policy: CorsPolicy,
  origin: string | undefined,
): Record<string, string> => {
  if (policy.origins.length === 0) return {};
  const headers = {
    'Access-Control-Allow-Headers': ALLOWED_HEADERS,
    'Access-Control-Allow-Methods': 'GET,HEAD,OPTIONS',
    'Access-Control-Expose-Headers': 'ETag,Retry-After',
    'Access-Control-Max-Age': '600',
  };
  if (policy.origins.includes('*')) return { 'Access-Control-Allow-Origin': '*', ...headers };
  if (origin && policy.origins.includes(origin)) {
    return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin', ...headers };
  }
  return {};
};

/**
 * Adds the CORS headers to every response, errors included (a browser hides them otherwise).
 * A list for middy's `use`: empty when no origin is configured, so the hot path pays nothing.
 */
export const cors = (
  policy: CorsPolicy,
): Array<MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult>> => {
  if (policy.origins.length === 0) return [];
  const add = async (request: {
    event: APIGatewayProxyEvent;
    response: APIGatewayProxyResult | null | undefined;
  }) => {
    if (!request.response) return;
    const extra = corsHeaders(policy, headerValue(request.event?.headers, 'Origin'));
    request.response.headers = { ...request.response.headers, ...extra };
  };
  return [{ after: add, onError: add }];
};

/** True when an If-None-Match header names `etag` (weak comparison, as RFC 9110 asks). */
export const etagMatches = (ifNoneMatch: string | undefined, etag: string): boolean => {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === bare);
};

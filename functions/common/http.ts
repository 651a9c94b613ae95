// HTTP plumbing shared by the API handlers: JSON responses, client errors that carry their
// status code, and a middy error handler that turns them into JSON bodies (never a bare 500).
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { SmogcastError } from './errors.js';

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

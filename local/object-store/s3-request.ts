// A path-style S3 request (/<bucket>/<key>) as the handlers see it, and the answer they return.
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { S3Error } from './s3-error.js';

export interface S3Request {
  method: string;
  /** The path as sent (still percent-encoded). */
  path: string;
  bucket: string;
  /** The object key, decoded; '' for a request on the bucket (or the service). */
  key: string;
  /** Query parameters (the first value of each); a bare `?uploads` is ''. */
  query: Record<string, string>;
  header(name: string): string | undefined;
  raw: IncomingMessage;
}

export interface S3Response {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

export const parseRequest = (raw: IncomingMessage): S3Request => {
  const url = new URL(raw.url ?? '/', 'http://local');
  const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) if (!(name in query)) query[name] = value;
  return {
    method: raw.method ?? 'GET',
    path: url.pathname,
    bucket: decodeURIComponent(bucket),
    key: decodeURIComponent(rest.join('/')),
    query,
    header: (name) => {
      const value = raw.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(',') : value;
    },
    raw,
  };
};

/** The HTTP date S3 sends in Last-Modified. */
export const httpDate = (iso: string): string => new Date(iso).toUTCString();

/** What authorises a request before the store sees it (see iam/s3-authorization.ts). */
export interface RequestAuthorizer {
  /** The error to answer instead of serving the request (403 AccessDenied), if any. */
  authorize(request: S3Request): Promise<S3Error | undefined>;
  /** For a request that found no such key: the error to answer instead of the 404, if any. */
  whenMissing(request: S3Request): Promise<S3Error | undefined>;
}

// s3rver ignores If-Match / If-None-Match on PUT, and a GET racing a PUT of the same key can
// read a half-written file; S3 honours conditional writes and makes a PUT visible all at once.
// This Koa middleware, put in front of s3rver's router, gives the local store S3's semantics,
// so update-context's compare-and-swap behaves the same locally and on AWS:
// - 412 PreconditionFailed when the ETag moved on (or the object exists, for If-None-Match: *),
//   404 NoSuchKey for If-Match on a missing object;
// - requests on one object key run one at a time (check + write atomically; reads never see a
//   write in progress, and a read is buffered before the next write may start).
import { Readable } from 'node:stream';
import type S3rver from 's3rver';

interface KoaContext {
  method: string;
  path: string;
  status: number;
  type: string;
  body: unknown;
  get(header: string): string;
}

type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverInternals {
  middleware: Middleware[];
  store: { getMetadata(bucket: string, key: string): Promise<{ etag: string }> };
}

const xmlError = (ctx: KoaContext, status: number, code: string, message: string): void => {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
};

/** Installs the middleware; call before `server.run()` (Koa composes middleware on listen). */
export const honourConditionalPuts = (server: S3rver): void => {
  const internals = server as unknown as S3rverInternals;
  const locks = new Map<string, Promise<void>>();

  const withLock = async (key: string, work: () => Promise<void>): Promise<void> => {
    const previous = locks.get(key) ?? Promise.resolve();
    let release = () => {};
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => current);
    locks.set(key, chained);
    await previous;
    try {
      await work();
    } finally {
      release();
      if (locks.get(key) === chained) locks.delete(key);
    }
  };

  const middleware: Middleware = async (ctx, next) => {
    // Path-style addressing (forcePathStyle): /<bucket>/<key>.
    const [bucket = '', ...rest] = ctx.path.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (key === '' || !['GET', 'HEAD', 'PUT', 'DELETE'].includes(ctx.method)) return next();
    const ifMatch = ctx.get('if-match');
    const ifNoneMatch = ctx.get('if-none-match');
    if (ctx.method !== 'PUT' || (!ifMatch && !ifNoneMatch)) {
      return withLock(`${bucket}/${key}`, async () => {
        await next();
        // Read the file now, while no write to this key can start.
        if (ctx.body instanceof Readable) {
          const chunks: Buffer[] = [];
          for await (const chunk of ctx.body) chunks.push(Buffer.from(chunk as Uint8Array));
          ctx.body = Buffer.concat(chunks);
        }
      });
    }
    await withLock(`${bucket}/${key}`, async () => {
      const etag = await internals.store
        .getMetadata(bucket, key)
        .then((metadata) => metadata.etag)
        .catch(() => null);
      if (ifNoneMatch === '*' && etag !== null) {
        return xmlError(
          ctx,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      }
      if (ifMatch && etag === null) {
        return xmlError(ctx, 404, 'NoSuchKey', 'The specified key does not exist.');
      }
      if (ifMatch && ifMatch !== etag) {
        return xmlError(
          ctx,
          412,
          'PreconditionFailed',
          'At least one of the pre-conditions you specified did not hold',
        );
      }
      await next();
    });
  };
  internals.middleware.unshift(middleware);
};

// Local stand-in for S3: s3rver on 127.0.0.1, data on disk under the data dir. The real
// @aws-sdk/client-s3 talks to it; its object-created events feed S3-triggered handlers.
import { mkdir } from 'node:fs/promises';
import type { S3Event } from 'aws-lambda';
import S3rver from 's3rver';
import { honourConditionalPuts } from './conditional-put.js';
import type { LocalIam } from './iam/local-iam.js';
import { enforceIam } from './iam/s3-authorization.js';

export interface ObjectStoreServerOptions {
  directory: string;
  bucket: string;
  port?: number;
  host?: string;
  /** Called for each ObjectCreated event, in the S3 notification shape Lambda receives. */
  onObjectCreated?: (event: S3Event) => void;
  /**
   * Authorise requests signed with a role's access key id against that role in the template,
   * as S3 does (403 AccessDenied). `bucket` stands for the template's LakeBucket.
   */
  iam?: LocalIam;
}

export interface ObjectStoreServer {
  url: string;
  close(): Promise<void>;
}

export const startObjectStoreServer = async (
  options: ObjectStoreServerOptions,
): Promise<ObjectStoreServer> => {
  await mkdir(options.directory, { recursive: true });
  const server = new S3rver({
    address: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory: options.directory,
    configureBuckets: [{ name: options.bucket }],
  });
  // S3 conditional writes (If-Match), which update-context's compare-and-swap relies on.
  honourConditionalPuts(server);
  // In front of everything: S3 authorises a request before it looks at the object.
  if (options.iam) enforceIam(server, options.iam, options.bucket);
  if (options.onObjectCreated) {
    const notify = options.onObjectCreated;
    server.on('event', (event: S3Event) => {
      if (event.Records.some((r) => r.eventName.startsWith('ObjectCreated'))) notify(event);
    });
  }
  const { port } = await server.run();
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    close: () => server.close(),
  };
};

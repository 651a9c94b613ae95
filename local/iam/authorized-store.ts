// The same authorisation as the local S3's, for an ObjectStore that does not go through it (the
// in-memory lake of the retrain tests): each operation is authorised as the S3 request it stands
// for, as `caller`'s role, before it reaches the store — a denial throws AccessDenied with S3's
// message, the role and the action in it.
import type { ObjectStore, VersionedObject } from '../../core/ports.js';
import type { LocalCaller } from './callers.js';
import type { LocalIam } from './local-iam.js';
import { missingObjectListing } from './s3-authorization.js';

export class AccessDeniedError extends Error {
  override readonly name = 'AccessDenied';
}

export class AuthorizedObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly getVersioned?: (key: string) => Promise<VersionedObject | undefined>;
  readonly putIfMatch?: ObjectStore['putIfMatch'];
  private readonly accessKeyId: string;
  private readonly bucketArn: string;

  constructor(
    private readonly inner: ObjectStore,
    private readonly iam: LocalIam,
    caller: LocalCaller,
  ) {
    this.bucket = inner.bucket;
    this.accessKeyId = iam.credentialsOf(caller).accessKeyId;
    // The lake stands for the template's LakeBucket, whatever its local name.
    this.bucketArn = `arn:aws:s3:::${iam.physicalName('LakeBucket')}`;
    const { getVersioned, putIfMatch } = inner;
    if (getVersioned) {
      this.getVersioned = async (key) => {
        await this.check('s3:GetObject', `${this.bucketArn}/${key}`);
        return this.unlessHidden(key, await getVersioned.call(inner, key));
      };
    }
    if (putIfMatch) {
      this.putIfMatch = async (key, body, ifMatch, contentType) => {
        await this.check('s3:PutObject', `${this.bucketArn}/${key}`);
        return putIfMatch.call(inner, key, body, ifMatch, contentType);
      };
    }
  }

  private async check(action: string, resource: string, context?: Record<string, string>) {
    const decision = await this.iam.authorize({
      accessKeyId: this.accessKeyId,
      action,
      resource,
      context,
    });
    if (!decision.allowed) throw new AccessDeniedError(decision.message);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    await this.check('s3:GetObject', `${this.bucketArn}/${key}`);
    return this.unlessHidden(key, await this.inner.get(key));
  }

  /** A missing object is "missing" only to a caller that may list the bucket (else 403). */
  private async unlessHidden<T>(key: string, found: T | undefined): Promise<T | undefined> {
    if (found !== undefined) return found;
    const { action, resource, context } = missingObjectListing(`${this.bucketArn}/${key}`);
    await this.check(action, resource, context);
    return undefined;
  }

  async put(key: string, body: Uint8Array | string, contentType?: string): Promise<void> {
    await this.check('s3:PutObject', `${this.bucketArn}/${key}`);
    return this.inner.put(key, body, contentType);
  }

  async list(prefix: string): Promise<string[]> {
    await this.check('s3:ListBucket', this.bucketArn, { 's3:prefix': prefix });
    return this.inner.list(prefix);
  }

  async delete(key: string): Promise<void> {
    await this.check('s3:DeleteObject', `${this.bucketArn}/${key}`);
    return this.inner.delete(key);
  }
}

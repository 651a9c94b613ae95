// Receives an upload's body into a staged file and checks it as S3 does: aws-chunked bodies
// decoded (their trailing checksum read), the flexible checksum the client sent (header or
// trailer) recomputed — a mismatch is 400 BadDigest, a malformed or unsupported one 400
// InvalidRequest — and Content-MD5, x-amz-content-sha256 and x-amz-decoded-content-length
// verified. Nothing is committed here; a failed check removes the staged file.

import { open, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { decodeAwsChunked } from './aws-chunked.js';
import {
  algorithmOfHeader,
  type ChecksumAlgorithm,
  checksumHeader,
  createHasher,
  type Hasher,
  parseChecksumAlgorithm,
} from './checksums.js';
import { invalidRequest, S3Error } from './s3-error.js';

export interface ReceivedPayload {
  size: number;
  md5Hex: string;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The checksum algorithm the request asks for, and the value it sent in a header (if any). */
const requestedChecksum = (
  request: IncomingMessage,
  fallback: ChecksumAlgorithm | undefined,
): { algorithm?: ChecksumAlgorithm; value?: string; trailer?: string } => {
  const sent = Object.keys(request.headers).filter(
    (name) =>
      name.startsWith('x-amz-checksum-') &&
      name !== 'x-amz-checksum-type' &&
      name !== 'x-amz-checksum-algorithm',
  );
  if (sent.length > 1)
    throw invalidRequest(
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  const trailer = header(request, 'x-amz-trailer')?.toLowerCase();
  const named =
    header(request, 'x-amz-sdk-checksum-algorithm') ??
    (sent[0] ? algorithmOfHeader(sent[0]) : undefined) ??
    (trailer?.startsWith('x-amz-checksum-') ? algorithmOfHeader(trailer) : undefined);
  if (named === undefined) return { algorithm: fallback };
  const algorithm = parseChecksumAlgorithm(named);
  if (!algorithm) {
    throw invalidRequest(`Checksum algorithm ${named} is not supported by the local object store.`);
  }
  if (trailer !== undefined && trailer !== checksumHeader(algorithm)) {
    throw invalidRequest(
      `The x-amz-trailer ${trailer} does not match the checksum algorithm ${algorithm}.`,
    );
  }
  const value = sent[0] ? header(request, sent[0]) : undefined;
  if (value !== undefined && !isBase64Of(algorithm, value)) {
    throw invalidRequest(`Value for ${checksumHeader(algorithm)} header is invalid.`);
  }
  return { algorithm, value, trailer };
};

const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  SHA1: 20,
  SHA256: 32,
};

const isBase64Of = (algorithm: ChecksumAlgorithm, value: string): boolean =>
  /^[A-Za-z0-9+/]+={0,2}$/.test(value) &&
  Buffer.from(value, 'base64').length === DIGEST_BYTES[algorithm];

/**
 * Streams the body of `request` into `stagingPath` and verifies it. `defaultAlgorithm` is the
 * checksum to compute when the request names none (a multipart upload's algorithm, for parts).
 */
export const receivePayload = async (
  request: IncomingMessage,
  stagingPath: string,
  defaultAlgorithm?: ChecksumAlgorithm,
): Promise<ReceivedPayload> => {
  const contentSha256 = header(request, 'x-amz-content-sha256') ?? '';
  const chunked =
    /aws-chunked/i.test(header(request, 'content-encoding') ?? '') ||
    contentSha256.startsWith('STREAMING-');
  const wanted = requestedChecksum(request, defaultAlgorithm);
  const md5 = createHasher('MD5');
  const checksum: Hasher | undefined = wanted.algorithm
    ? createHasher(wanted.algorithm)
    : undefined;
  const sha256 = /^[0-9a-f]{64}$/.test(contentSha256) ? createHasher('SHA256') : undefined;
  const trailers = new Map<string, string>();
  const source: AsyncIterable<Uint8Array> = chunked ? decodeAwsChunked(request, trailers) : request;
  const file = await open(stagingPath, 'w');
  let size = 0;
  try {
    for await (const chunk of source) {
      md5.update(chunk);
      checksum?.update(chunk);
      sha256?.update(chunk);
      size += chunk.length;
      await file.write(chunk);
    }
    await file.close();
    if (!request.complete)
      throw new S3Error(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      );
    const decodedLength = header(request, 'x-amz-decoded-content-length');
    if (chunked && decodedLength !== undefined && Number(decodedLength) !== size) {
      throw new S3Error(
        400,
        'IncompleteBody',
        `You did not provide the number of bytes specified by the x-amz-decoded-content-length header (${decodedLength}, got ${size}).`,
      );
    }
    const md5Base64 = md5.digest();
    const contentMd5 = header(request, 'content-md5');
    if (contentMd5 !== undefined && contentMd5 !== md5Base64) {
      throw new S3Error(
        400,
        'BadDigest',
        'The Content-MD5 you specified did not match what we received.',
      );
    }
    if (sha256 && Buffer.from(sha256.digest(), 'base64').toString('hex') !== contentSha256) {
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    const result: ReceivedPayload = {
      size,
      md5Hex: Buffer.from(md5Base64, 'base64').toString('hex'),
    };
    if (checksum && wanted.algorithm) {
      const computed = checksum.digest();
      const expected = wanted.value ?? (wanted.trailer ? trailers.get(wanted.trailer) : undefined);
      if (wanted.trailer && expected === undefined && wanted.value === undefined) {
        throw invalidRequest(
          `The upload announced the trailer ${wanted.trailer} but did not send it.`,
        );
      }
      if (expected !== undefined && !isBase64Of(wanted.algorithm, expected)) {
        throw invalidRequest(
          `Value for ${checksumHeader(wanted.algorithm)} trailing header is invalid.`,
        );
      }
      if (expected !== undefined && expected !== computed) {
        throw new S3Error(
          400,
          'BadDigest',
          `The ${wanted.algorithm} you specified did not match the calculated checksum.`,
        );
      }
      result.checksum = { algorithm: wanted.algorithm, value: computed };
    }
    return result;
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(stagingPath, { force: true });
    throw error;
  }
};

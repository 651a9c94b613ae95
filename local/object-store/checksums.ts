// The checksums S3 computes and verifies: the SDK's flexible checksums (CRC32 by default, CRC32C,
// SHA-1, SHA-256; base64 of the big-endian digest) and Content-MD5.
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** The header (and trailer) name S3 uses for `algorithm`: x-amz-checksum-crc32, … */
export const checksumHeader = (algorithm: ChecksumAlgorithm): string =>
  `x-amz-checksum-${algorithm.toLowerCase()}`;

export const parseChecksumAlgorithm = (name: string): ChecksumAlgorithm | undefined =>
  CHECKSUM_ALGORITHMS.find((algorithm) => algorithm === name.toUpperCase());

/** The algorithm an x-amz-checksum-* header name stands for. */
export const algorithmOfHeader = (header: string): string =>
  header
    .toLowerCase()
    .replace(/^x-amz-checksum-/, '')
    .toUpperCase();

export interface Hasher {
  update(chunk: Uint8Array): void;
  /** The digest, base64 (S3's encoding of every checksum). */
  digest(): string;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

const crc32c = (chunk: Uint8Array, previous: number): number => {
  let crc = ~previous >>> 0;
  for (let i = 0; i < chunk.length; i++) {
    crc = (CRC32C_TABLE[(crc ^ (chunk[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
};

const crcHasher = (step: (chunk: Uint8Array, previous: number) => number): Hasher => {
  let value = 0;
  return {
    update: (chunk) => {
      value = step(chunk, value);
    },
    digest: () => {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32BE(value >>> 0);
      return bytes.toString('base64');
    },
  };
};

const hashHasher = (hash: Hash): Hasher => ({
  update: (chunk) => {
    hash.update(chunk);
  },
  digest: () => hash.digest('base64'),
});

export const createHasher = (algorithm: ChecksumAlgorithm | 'MD5'): Hasher => {
  switch (algorithm) {
    case 'CRC32':
      return crcHasher(crc32);
    case 'CRC32C':
      return crcHasher(crc32c);
    case 'SHA1':
      return hashHasher(createHash('sha1'));
    case 'SHA256':
      return hashHasher(createHash('sha256'));
    case 'MD5':
      return hashHasher(createHash('md5'));
  }
};

/** The checksum of `data` in one call. */
export const checksumOf = (algorithm: ChecksumAlgorithm | 'MD5', data: Uint8Array): string => {
  const hasher = createHasher(algorithm);
  hasher.update(data);
  return hasher.digest();
};

/**
 * A multipart object's checksum as S3 reports it (COMPOSITE): the checksum of the parts'
 * decoded checksums, then `-<part count>`.
 */
export const compositeChecksum = (algorithm: ChecksumAlgorithm, parts: string[]): string => {
  const hasher = createHasher(algorithm);
  for (const part of parts) hasher.update(Buffer.from(part, 'base64'));
  return `${hasher.digest()}-${parts.length}`;
};

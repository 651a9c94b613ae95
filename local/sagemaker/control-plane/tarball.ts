// model.tar.gz as SageMaker packs /opt/ml/model: a gzipped ustar archive. A tiny writer and reader
// (regular files and directories only) keep this dependency-free and the bytes reproducible.
import { gunzipSync, gzipSync } from 'node:zlib';
import { ModelLoadError } from '../../../forecasting/errors.js';

const BLOCK = 512;

export interface TarEntry {
  /** Relative POSIX path. */
  path: string;
  data: Uint8Array;
}

const writeString = (header: Uint8Array, offset: number, length: number, value: string) => {
  const bytes = new TextEncoder().encode(value);
  if (bytes.length > length) throw new Error(`tar field too long: ${value}`);
  header.set(bytes, offset);
};

const writeOctal = (header: Uint8Array, offset: number, length: number, value: number) =>
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);

const headerFor = (path: string, size: number): Uint8Array => {
  const header = new Uint8Array(BLOCK);
  writeString(header, 0, 100, path);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, 0); // mtime 0: identical models give identical artifacts
  header.fill(0x20, 148, 156); // checksum is computed over spaces in its own field
  header[156] = 0x30; // '0' regular file
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  const checksum = header.reduce((sum, byte) => sum + byte, 0);
  writeString(header, 148, 8, `${checksum.toString(8).padStart(6, '0')}\0 `);
  return header;
};

export const packTarGz = (entries: TarEntry[]): Uint8Array => {
  const parts: Uint8Array[] = [];
  for (const entry of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    parts.push(headerFor(entry.path, entry.data.length), entry.data);
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    parts.push(new Uint8Array(padding));
  }
  parts.push(new Uint8Array(BLOCK * 2));
  return gzipSync(Buffer.concat(parts));
};

const readString = (block: Uint8Array, offset: number, length: number): string => {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end));
};

const isSafePath = (path: string): boolean =>
  path !== '' && !path.startsWith('/') && !path.split('/').includes('..');

/** Regular files of a .tar.gz; refuses absolute or `..` paths. */
export const unpackTarGz = (bytes: Uint8Array): TarEntry[] => {
  let tar: Uint8Array;
  try {
    tar = gunzipSync(bytes);
  } catch (error) {
    throw new ModelLoadError('model artifact is not gzip data', { cause: error });
  }
  const entries: TarEntry[] = [];
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const prefix = readString(header, 345, 155);
    const name = readString(header, 0, 100);
    const path = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, '');
    const size = Number.parseInt(readString(header, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    if (!Number.isFinite(size) || offset + BLOCK + size > tar.length) {
      throw new ModelLoadError('model artifact is a truncated tar archive');
    }
    const data = tar.subarray(offset + BLOCK, offset + BLOCK + size);
    if (type === '0' || type === '\0') {
      if (!isSafePath(path)) throw new ModelLoadError(`unsafe path in model artifact: ${path}`);
      entries.push({ path, data: new Uint8Array(data) });
    }
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
};

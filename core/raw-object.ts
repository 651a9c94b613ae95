// A raw/ object's bytes as delivered: gzip (Firehose CompressionFormat GZIP, key suffix `.gz`) or
// plain NDJSON (lakes written before compression was turned on). Readers detect gzip by its magic
// bytes (1f 8b), never by the key, so old and new objects read the same way.
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeText } from './text.js';

/** The key suffix Firehose appends to a GZIP delivery. */
export const GZIP_KEY_SUFFIX = '.gz';

export const isGzip = (bytes: Uint8Array): boolean =>
  bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/** The NDJSON bytes of a raw object, gunzipped when it is gzip (every member of it). */
export const rawObjectBytes = (bytes: Uint8Array): Uint8Array =>
  isGzip(bytes) ? gunzipSync(bytes) : bytes;

/** The NDJSON text of a raw object, gzip or plain. */
export const rawObjectText = (bytes: Uint8Array): string => decodeText(rawObjectBytes(bytes));

/** A delivery's body as Firehose GZIP writes it. */
export const gzipRawBody = (text: string): Uint8Array => gzipSync(text);

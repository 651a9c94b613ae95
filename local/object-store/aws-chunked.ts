// The aws-chunked content encoding the SDKs stream uploads with (SigV4 streaming): chunks of
// `<hex size>[;chunk-signature=…]\r\n<bytes>\r\n`, a zero-size chunk, then trailing headers
// (`x-amz-checksum-crc32:<base64>\r\n`, …) and an empty line. Yields the payload; the trailers
// land in `trailers` once the stream is consumed.
import { S3Error } from './s3-error.js';

const malformed = (why: string) =>
  new S3Error(400, 'IncompleteBody', `malformed aws-chunked body: ${why}`);

const CRLF = Buffer.from('\r\n');
const MAX_LINE = 4096;

export async function* decodeAwsChunked(
  source: AsyncIterable<Uint8Array>,
  trailers: Map<string, string>,
): AsyncGenerator<Uint8Array> {
  let line = Buffer.alloc(0);
  let remaining = 0; // payload bytes left in the current chunk
  let state: 'header' | 'data' | 'data-end' | 'trailer' | 'done' = 'header';
  for await (const piece of source) {
    let buffer = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (buffer.length > 0) {
      if (state === 'done') throw malformed('bytes after the final chunk');
      if (state === 'data') {
        const take = Math.min(remaining, buffer.length);
        yield buffer.subarray(0, take);
        buffer = buffer.subarray(take);
        remaining -= take;
        if (remaining === 0) state = 'data-end';
        continue;
      }
      // Line-oriented states: accumulate up to CRLF.
      const joined = line.length > 0 ? Buffer.concat([line, buffer]) : buffer;
      const end = joined.indexOf(CRLF);
      if (end < 0) {
        if (joined.length > MAX_LINE) throw malformed('line too long');
        line = Buffer.from(joined);
        buffer = Buffer.alloc(0);
        continue;
      }
      const text = joined.subarray(0, end).toString('latin1');
      buffer = joined.subarray(end + 2);
      line = Buffer.alloc(0);
      if (state === 'data-end') {
        if (text !== '') throw malformed('chunk longer than its size');
        state = 'header';
      } else if (state === 'header') {
        const size = Number.parseInt(text.split(';')[0] ?? '', 16);
        if (!/^[0-9a-fA-F]+(;|$)/.test(text) || Number.isNaN(size)) {
          throw malformed(`bad chunk header ${JSON.stringify(text.slice(0, 80))}`);
        }
        remaining = size;
        state = size === 0 ? 'trailer' : 'data';
      } else if (state === 'trailer') {
        if (text === '') {
          state = 'done';
          continue;
        }
        const colon = text.indexOf(':');
        if (colon <= 0) throw malformed(`bad trailer ${JSON.stringify(text.slice(0, 80))}`);
        trailers.set(text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim());
      }
    }
  }
  // Some clients end the trailer section without the final empty line.
  if (state !== 'done' && state !== 'trailer') throw malformed('body ended inside a chunk');
}

import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipRawBody, isGzip, rawObjectBytes, rawObjectText } from '../../../core/raw-object.js';
import { encodeText } from '../../../core/text.js';

const NDJSON = '{"deviceId":"a","seq":1}\n{"deviceId":"b","seq":2}\n';

describe('raw object bytes', () => {
  it('reads a gzip delivery and a plain one to the same text', () => {
    // Prepare
    const gz = gzipRawBody(NDJSON);
    const plain = encodeText(NDJSON);
    // Act + Assess
    expect(isGzip(gz)).toBe(true);
    expect(isGzip(plain)).toBe(false);
    expect(rawObjectText(gz)).toBe(NDJSON);
    expect(rawObjectText(plain)).toBe(NDJSON);
    expect(rawObjectBytes(plain)).toBe(plain);
  });

  it('reads every member of a multi-member gzip object', () => {
    const members = Buffer.concat([gzipSync('{"a":1}\n'), gzipSync('{"a":2}\n')]);
    expect(rawObjectText(members)).toBe('{"a":1}\n{"a":2}\n');
  });

  it('treats an empty or one-byte object as plain', () => {
    expect(rawObjectText(new Uint8Array())).toBe('');
    expect(rawObjectText(Uint8Array.of(0x1f))).toBe('\u001f');
  });
});

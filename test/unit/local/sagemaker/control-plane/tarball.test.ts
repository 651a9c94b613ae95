import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packTarGz, unpackTarGz } from '../../../../../local/sagemaker/control-plane/tarball.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('model.tar.gz', () => {
  it('round-trips files, including ones spanning several blocks', () => {
    // Prepare
    const big = new TextEncoder().encode('x'.repeat(1500));
    const entries = [
      { path: 'model.json', data: new TextEncoder().encode('{"engine":"seasonal-naive"}') },
      { path: 'sub/big.txt', data: big },
    ];

    // Act
    const unpacked = unpackTarGz(packTarGz(entries));

    // Assess
    expect(unpacked.map((e) => e.path)).toEqual(['model.json', 'sub/big.txt']);
    expect(text(unpacked[0]?.data ?? new Uint8Array())).toBe('{"engine":"seasonal-naive"}');
    expect(unpacked[1]?.data).toEqual(big);
  });

  it('packs the same files into identical bytes', () => {
    // Prepare
    const entries = [{ path: 'model.json', data: new TextEncoder().encode('{}') }];

    // Act + Assess
    expect(packTarGz(entries)).toEqual(packTarGz(entries));
  });

  it('writes a ustar header with a valid checksum', () => {
    // Act
    const tar = gunzipSync(packTarGz([{ path: 'a', data: new Uint8Array(3) }]));

    // Assess
    const header = tar.subarray(0, 512);
    const stored = Number.parseInt(text(header.subarray(148, 154)), 8);
    const copy = new Uint8Array(header);
    copy.fill(0x20, 148, 156);
    expect(stored).toBe(copy.reduce((sum, b) => sum + b, 0));
    expect(text(header.subarray(257, 262))).toBe('ustar');
  });

  it('refuses non-gzip data and paths escaping the model directory', () => {
    // Prepare
    const evil = packTarGz([{ path: '../evil', data: new Uint8Array(1) }]);

    // Act + Assess
    expect(() => unpackTarGz(new Uint8Array([1, 2, 3]))).toThrowError(/not gzip/);
    expect(() => unpackTarGz(evil)).toThrowError(/unsafe path/);
    expect(() => unpackTarGz(gzipSync(new Uint8Array(100)))).not.toThrow();
  });
});

import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { packTarGz, unpackTarGz } from '../../../../../local/sagemaker/control-plane/tarball.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('model.tar.gz', () => {
  it('round-trips files, including ones spanning several blocks', async () => {
    // Prepare
    const big = new TextEncoder().encode('x'.repeat(1500));
    const entries = [
      { path: 'model.json', data: new TextEncoder().encode('{"engine":"seasonal-naive"}') },
      { path: 'sub/big.txt', data: big },
    ];

    // Act
    const unpacked = await unpackTarGz(await packTarGz(entries));

    // Assess
    expect(unpacked.map((e) => e.path)).toEqual(['model.json', 'sub/big.txt']);
    expect(text(unpacked[0]?.data ?? new Uint8Array())).toBe('{"engine":"seasonal-naive"}');
    expect(unpacked[1]?.data).toEqual(big);
  });

  it('round-trips paths longer than a ustar name field', async () => {
    // Prepare: 150 characters of directories, beyond the 100 of the name field.
    const path = `${'deep/'.repeat(30)}model.json`;

    // Act
    const unpacked = await unpackTarGz(await packTarGz([{ path, data: new Uint8Array(1) }]));

    // Assess
    expect(unpacked.map((e) => e.path)).toEqual([path]);
  });

  it('packs the same files into identical bytes', async () => {
    // Prepare
    const entries = [{ path: 'model.json', data: new TextEncoder().encode('{}') }];

    // Act + Assess
    expect(await packTarGz(entries)).toEqual(await packTarGz(entries));
  });

  it('writes a ustar header with a valid checksum', async () => {
    // Act
    const tar = gunzipSync(await packTarGz([{ path: 'a', data: new Uint8Array(3) }]));

    // Assess
    const header = tar.subarray(0, 512);
    const stored = Number.parseInt(text(header.subarray(148, 154)), 8);
    const copy = new Uint8Array(header);
    copy.fill(0x20, 148, 156);
    expect(stored).toBe(copy.reduce((sum, b) => sum + b, 0));
    expect(text(header.subarray(257, 262))).toBe('ustar');
  });

  it('refuses non-gzip data and paths escaping the model directory', async () => {
    // Prepare
    const evil = await packTarGz([{ path: '../evil', data: new Uint8Array(1) }]);

    // Act + Assess
    await expect(unpackTarGz(new Uint8Array([1, 2, 3]))).rejects.toThrowError(/not gzip/);
    await expect(unpackTarGz(evil)).rejects.toThrowError(/unsafe path/);
    await expect(unpackTarGz(gzipSync(new Uint8Array(100)))).resolves.toBeDefined();
  });
});

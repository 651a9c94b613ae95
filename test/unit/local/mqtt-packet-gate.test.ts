import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { gateMqttSocket, type RefusedPacket } from '../../../local/mqtt-packet-gate.js';
import { publishPacket } from '../../integration/hostile/raw-mqtt.js';

const LIMIT = 1024;
let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A gated server socket; the client writes `chunks` one by one; returns what passed. */
const run = async (chunks: Buffer[]) => {
  const refusals: RefusedPacket[] = [];
  const passed: Buffer[] = [];
  const closed = new Promise<void>((resolve) => {
    server = createServer((socket: Socket) => {
      const gate = gateMqttSocket(socket, LIMIT, (r) => refusals.push(r));
      gate.clientId = 'c-1';
      gate.on('data', (chunk: Buffer) => passed.push(chunk));
      gate.on('error', () => undefined);
      gate.on('close', () => resolve());
      gate.on('end', () => resolve());
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = connect({ host: '127.0.0.1', port });
  client.setNoDelay(true);
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  for (const chunk of chunks) {
    if (client.destroyed) break;
    client.write(chunk);
    await new Promise((r) => setTimeout(r, 5));
  }
  client.end();
  await closed;
  client.destroy();
  return { refusals, passed: Buffer.concat(passed) };
};

const bytewise = (bytes: Buffer) => [...bytes].map((b) => Buffer.from([b]));

describe('gateMqttSocket', () => {
  it('passes packets up to the limit byte for byte, however the bytes are split', async () => {
    // Prepare: two publishes, one of exactly the limit, sent a byte at a time for the first
    const small = publishPacket('a/b', Buffer.from('hello'), 1);
    const atLimit = publishPacket('a/b', Buffer.alloc(LIMIT, 0x61), 2);
    // Act
    const { refusals, passed } = await run([...bytewise(small), atLimit]);
    // Assess
    expect(refusals).toEqual([]);
    expect(passed.equals(Buffer.concat([small, atLimit]))).toBe(true);
  });

  it('refuses a publish announcing more than the limit, passing what came before it', async () => {
    // Prepare: a good publish, then one announcing 100 MB with only 100 bytes sent
    const good = publishPacket('a/b', Buffer.from('ok'), 1);
    const big = publishPacket('s/t', Buffer.from('x'.repeat(100)), 2, 100 * 1024 * 1024);
    // Act
    const { refusals, passed } = await run([Buffer.concat([good, big])]);
    // Assess
    expect(passed.equals(good)).toBe(true);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ clientId: 'c-1', topic: 's/t', size: 100 * 1024 * 1024 });
    expect(Buffer.from(refusals[0]?.head ?? []).toString()).toBe('x'.repeat(100));
  });

  it('refuses any other packet whose remaining length is above the limit', async () => {
    // A SUBSCRIBE header announcing 2 KiB
    const { refusals } = await run([Buffer.from([0x82, 0x80, 0x10, 0x00, 0x01])]);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]?.reason).toMatch(/packet of 2048 bytes exceeds 1024 bytes/);
  });
});

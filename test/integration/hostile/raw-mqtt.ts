// A deliberately small MQTT 3.1.1 client over a raw socket: it sends exactly the packets it is
// told to (a PUBLISH that announces 100 MB and sends a fraction, say), and reports what the
// broker answered or that it closed the connection. Every wait is bounded.
import { connect, type Socket } from 'node:net';

const varint = (value: number): Buffer => {
  const bytes: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest > 0);
  return Buffer.from(bytes);
};

const utf8Field = (text: string): Buffer => {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
};

/** A PUBLISH QoS 1 packet's bytes; `declaredPayload` lets the header announce more than is sent. */
export const publishPacket = (
  topic: string,
  payload: Uint8Array,
  packetId: number,
  declaredPayload = payload.byteLength,
): Buffer => {
  const topicField = utf8Field(topic);
  const remaining = topicField.length + 2 + declaredPayload;
  return Buffer.concat([
    Buffer.from([0x32]),
    varint(remaining),
    topicField,
    Buffer.from([packetId >> 8, packetId & 0xff]),
    payload,
  ]);
};

export type PublishResult = 'puback' | 'closed';

export interface RawMqttClient {
  socket: Socket;
  /** Publishes QoS 1 and resolves on its PUBACK, or 'closed' when the broker disconnects. */
  publish(topic: string, payload: Uint8Array): Promise<PublishResult>;
  /** Writes raw bytes; resolves 'closed' once the broker has closed, or after `waitMs`. */
  send(bytes: Uint8Array, waitMs: number): Promise<PublishResult | 'open'>;
  /** Subscribes (QoS 0) and collects what arrives on the filter. */
  subscribe(filter: string): Promise<Array<{ topic: string; payload: Buffer }>>;
  closed(): boolean;
  end(): void;
}

export const connectRaw = (url: string, clientId: string, timeoutMs = 5_000) =>
  new Promise<RawMqttClient>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    let buffer = Buffer.alloc(0);
    let isClosed = false;
    let nextId = 1;
    const waiting = new Map<number, (result: PublishResult) => void>();
    const onClose: Array<() => void> = [];
    let onSuback: (() => void) | undefined;
    const received: Array<{ topic: string; payload: Buffer }> = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no CONNACK'));
    }, timeoutMs);

    const handle = (type: number, body: Buffer) => {
      if (type === 2) {
        clearTimeout(timer);
        if (body[1] !== 0) reject(new Error(`CONNACK return code ${body[1]}`));
        else resolve(client);
      } else if (type === 4) {
        const id = body.readUInt16BE(0);
        waiting.get(id)?.('puback');
        waiting.delete(id);
      } else if (type === 9) {
        onSuback?.();
      } else if (type === 3) {
        const length = body.readUInt16BE(0);
        received.push({
          topic: body.subarray(2, 2 + length).toString('utf8'),
          payload: body.subarray(2 + length),
        });
      }
    };
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 2) return;
        let remaining = 0;
        let multiplier = 1;
        let i = 1;
        for (; i < 5 && i < buffer.length; i++) {
          remaining += ((buffer[i] as number) & 0x7f) * multiplier;
          multiplier *= 128;
          if (((buffer[i] as number) & 0x80) === 0) break;
        }
        if (i >= buffer.length || buffer.length < i + 1 + remaining) return;
        handle((buffer[0] as number) >> 4, buffer.subarray(i + 1, i + 1 + remaining));
        buffer = buffer.subarray(i + 1 + remaining);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      isClosed = true;
      clearTimeout(timer);
      for (const done of waiting.values()) done('closed');
      waiting.clear();
      for (const done of onClose.splice(0)) done();
      reject(new Error('closed before CONNACK'));
    });
    socket.on('connect', () => {
      const variable = Buffer.concat([utf8Field('MQTT'), Buffer.from([4, 0x02, 0, 60])]);
      const payload = utf8Field(clientId);
      socket.write(
        Buffer.concat([
          Buffer.from([0x10]),
          varint(variable.length + payload.length),
          variable,
          payload,
        ]),
      );
    });

    const client: RawMqttClient = {
      socket,
      publish: (topic, payload) =>
        new Promise<PublishResult>((done) => {
          if (isClosed) {
            done('closed');
            return;
          }
          const id = nextId++;
          waiting.set(id, done);
          socket.write(publishPacket(topic, payload, id));
        }),
      send: (bytes, waitMs) =>
        new Promise((done) => {
          if (isClosed) {
            done('closed');
            return;
          }
          const t = setTimeout(() => done('open'), waitMs);
          onClose.push(() => {
            clearTimeout(t);
            done('closed');
          });
          socket.write(bytes, () => undefined);
        }),
      subscribe: (filter) =>
        new Promise((done, fail) => {
          const t = setTimeout(() => fail(new Error('no SUBACK')), timeoutMs);
          onSuback = () => {
            clearTimeout(t);
            done(received);
          };
          const body = Buffer.concat([
            Buffer.from([0, nextId++]),
            utf8Field(filter),
            Buffer.from([0]),
          ]);
          socket.write(Buffer.concat([Buffer.from([0x82]), varint(body.length), body]));
        }),
      closed: () => isClosed,
      end: () => socket.destroy(),
    };
  });

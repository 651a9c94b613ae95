// IoT Core's message size limit at the protocol level, which aedes does not have: a duplex
// between the client's socket and the broker that reads each MQTT packet's fixed header (and a
// PUBLISH's topic length) as the bytes pass, and refuses a packet above the limit before the
// broker buffers it whole. A refusal disconnects the client, as IoT Core does, and is reported
// with the client id, topic, size and first bytes, so it is counted and sampled, not invisible.
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';

/** IoT Core's limit on a message's payload (128 KiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024;
/** Bytes of a refused packet kept for the sample (after its fixed header). */
const HEAD_BYTES = 512;
const PUBLISH = 3;

export interface RefusedPacket {
  /** Set once the client's CONNECT is accepted; undefined before. */
  clientId: string | undefined;
  /** The PUBLISH topic (from the first bytes; '' for other packet types). */
  topic: string;
  /** The payload size of a PUBLISH, the remaining length of any other packet. */
  size: number;
  /** The first bytes of the payload (or packet body) the refusal saw. */
  head: Uint8Array;
  reason: string;
}

export interface PacketGate extends Duplex {
  clientId: string | undefined;
}

interface Packet {
  type: number;
  qos: number;
  remaining: number;
  seen: number;
  head: number[];
}

/**
 * Wraps the socket; what passes is byte-for-byte what the client sent, up to a refused packet.
 * `maxMessageBytes` bounds a PUBLISH payload and the remaining length of every other packet.
 */
export const gateMqttSocket = (
  socket: Socket,
  maxMessageBytes: number,
  onRefused: (refusal: RefusedPacket) => void,
): PacketGate => {
  const gate = new Duplex({
    read: () => {
      socket.resume();
    },
    write: (chunk: Buffer, _encoding, callback) => {
      socket.write(chunk, callback);
    },
    final: (callback) => {
      socket.end();
      callback();
    },
    destroy: (error, callback) => {
      socket.destroy();
      callback(error);
    },
  }) as PacketGate;
  gate.clientId = undefined;

  // Parser state across chunks: a header byte, then 1-4 length bytes, then the body.
  let state: 'header' | 'length' | 'body' = 'header';
  let packet: Packet = { type: 0, qos: 0, remaining: 0, seen: 0, head: [] };
  let multiplier = 1;
  let refused: RefusedPacket | undefined;

  const refuse = (size: number, reason: string) => {
    refused = {
      clientId: gate.clientId,
      topic: '',
      size,
      head: new Uint8Array(),
      reason,
    };
  };

  /** The refusal sample from the packet's first bytes (topic and payload start of a PUBLISH). */
  const finishRefusal = (refusal: RefusedPacket) => {
    const head = Uint8Array.from(packet.head);
    if (packet.type === PUBLISH && head.length >= 2) {
      const topicLength = ((head[0] as number) << 8) | (head[1] as number);
      const topicEnd = Math.min(head.length, 2 + topicLength);
      refusal.topic = Buffer.from(head.subarray(2, topicEnd)).toString('utf8');
      refusal.head = head.subarray(Math.min(head.length, topicEnd + (packet.qos > 0 ? 2 : 0)));
    } else {
      refusal.head = head;
    }
    onRefused(refusal);
    socket.destroy();
    gate.destroy();
  };

  /** Checks the packet once enough of it is known; the limit is on the payload of a PUBLISH. */
  const check = () => {
    if (packet.type !== PUBLISH) {
      if (packet.remaining > maxMessageBytes) {
        refuse(
          packet.remaining,
          `packet of ${packet.remaining} bytes exceeds ${maxMessageBytes} bytes`,
        );
      }
      return true;
    }
    if (packet.head.length < 2 && packet.seen < packet.remaining) return false;
    const topicLength = ((packet.head[0] ?? 0) << 8) | (packet.head[1] ?? 0);
    const payload = packet.remaining - 2 - topicLength - (packet.qos > 0 ? 2 : 0);
    if (payload > maxMessageBytes) {
      refuse(payload, `payload of ${payload} bytes exceeds ${maxMessageBytes} bytes`);
    }
    return true;
  };
  let checked = false;

  const scan = (chunk: Buffer): number => {
    let packetStart = 0;
    for (let i = 0; i < chunk.length; ) {
      const byte = chunk[i] as number;
      if (state === 'header') {
        packetStart = i;
        packet = { type: byte >> 4, qos: (byte >> 1) & 3, remaining: 0, seen: 0, head: [] };
        multiplier = 1;
        checked = false;
        state = 'length';
        i++;
      } else if (state === 'length') {
        packet.remaining += (byte & 0x7f) * multiplier;
        multiplier *= 128;
        i++;
        if ((byte & 0x80) === 0 || multiplier > 128 ** 4) {
          state = packet.remaining === 0 ? 'header' : 'body';
          if (state === 'header') checked = true;
        }
      } else {
        const take = Math.min(chunk.length - i, packet.remaining - packet.seen);
        const keep = Math.min(take, HEAD_BYTES - packet.head.length);
        for (let k = 0; k < keep; k++) packet.head.push(chunk[i + k] as number);
        packet.seen += take;
        i += take;
        if (!checked) checked = check();
        if (refused) return packetStart;
        if (packet.seen === packet.remaining) state = 'header';
      }
      if (state === 'body' && !checked && packet.type !== PUBLISH) {
        checked = check();
        if (refused) return packetStart;
      }
    }
    return chunk.length;
  };

  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    const pass = scan(chunk);
    if (pass > 0 && !gate.push(pass === chunk.length ? chunk : chunk.subarray(0, pass))) {
      socket.pause();
    }
    if (refused) finishRefusal(refused);
  });
  socket.on('end', () => gate.push(null));
  socket.on('error', (error) => gate.destroy(error));
  socket.on('close', () => gate.destroy());
  return gate;
};

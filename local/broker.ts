// Local stand-in for AWS IoT Core: an embedded MQTT 3.1.1 broker (aedes) on 127.0.0.1 whose
// rule hook runs every client publish through the topic rule before the PUBACK is sent.
// (aedes speaks MQTT 3.1/3.1.1 only; MQTT 5 devices are tested against Mosquitto.)
// Publishes above the message size limit are refused at the protocol (mqtt-packet-gate.ts).
// Basic Ingest topics ($aws/rules/<rule>/…) go to their rule only, as on IoT Core: no client can
// subscribe to them (negative SUBACK), and nothing published on them is forwarded.
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { BASIC_INGEST_PREFIX } from '../core/telemetry.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  gateMqttSocket,
  type PacketGate,
  type RefusedPacket,
} from './mqtt-packet-gate.js';

export interface BrokerOptions {
  host?: string;
  port?: number;
  /**
   * The rule hook: called for every publish from a client. The broker acknowledges (PUBACK)
   * only after the returned promise resolves; if it rejects, the client is disconnected without
   * an acknowledgement, so a QoS 1 device sends the message again.
   */
  onPublish: (topic: string, payload: Uint8Array, clientId: string) => void | Promise<void>;
  onHookError?: (error: unknown) => void;
  /** IoT Core's message size limit by default (128 KiB); a larger publish disconnects. */
  maxMessageBytes?: number;
  /** Each packet refused at the protocol level (the client is disconnected). */
  onRefused?: (refusal: RefusedPacket) => void;
}

export interface LocalBroker {
  url: string;
  port: number;
  clients(): number;
  close(): Promise<void>;
}

/**
 * Whether an MQTT filter can match a $aws/rules/… topic (a filter starting with a wildcard cannot
 * match a topic starting with `$`, by the MQTT spec).
 */
const reachesBasicIngest = (filter: string): boolean => {
  const [first, second] = filter.split('/');
  return first === '$aws' && (second === 'rules' || second === '+' || second === '#');
};

export const startBroker = async (options: BrokerOptions): Promise<LocalBroker> => {
  const broker = await Aedes.createBroker({
    // A subscription filter that could match a Basic Ingest topic is refused (qos 128).
    authorizeSubscribe: (_client, subscription, done) =>
      done(null, reachesBasicIngest(subscription.topic) ? null : subscription),
    authorizeForward: (_client, packet) =>
      packet.topic.startsWith(BASIC_INGEST_PREFIX) ? null : packet,
    // aedes sends a QoS 1 PUBACK *before* its `published` hook runs; authorizePublish runs
    // before the acknowledgement, so the hook's durability is what the PUBACK promises.
    authorizePublish: (client, packet, done) => {
      let pending: void | Promise<void>;
      try {
        pending = options.onPublish(packet.topic, packet.payload as Uint8Array, client?.id ?? '');
      } catch (error) {
        options.onHookError?.(error);
        done(error as Error);
        return;
      }
      if (pending === undefined) {
        done(null);
        return;
      }
      pending.then(
        () => done(null),
        (error: unknown) => {
          options.onHookError?.(error);
          done(error as Error);
        },
      );
    },
  });
  // The gate learns its client's id once aedes has accepted the CONNECT.
  broker.on('client', (client) => {
    (client.conn as unknown as PacketGate).clientId = client.id;
  });
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const onRefused = options.onRefused ?? (() => undefined);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(gateMqttSocket(socket, maxMessageBytes, onRefused));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `mqtt://${host}:${port}`,
    port,
    clients: () => broker.connectedClients,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      // A client that never sent CONNECT is not aedes' yet: end its socket too, or close hangs.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

// Local stand-in for AWS IoT Core: an embedded MQTT 3.1.1 broker (aedes) on 127.0.0.1 whose
// rule hook runs every telemetry publish through the topic rule before the PUBACK is sent.
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

export interface BrokerOptions {
  host?: string;
  port?: number;
  /** The rule hook: called for every publish from a client, before it is acknowledged. */
  onPublish: (topic: string, payload: Uint8Array) => void;
}

export interface LocalBroker {
  url: string;
  port: number;
  clients(): number;
  close(): Promise<void>;
}

export const startBroker = async (options: BrokerOptions): Promise<LocalBroker> => {
  const broker = await Aedes.createBroker({
    published: (packet, client, done) => {
      // Broker-internal messages ($SYS heartbeats) have no client.
      if (client) {
        try {
          options.onPublish(packet.topic, packet.payload as Uint8Array);
        } catch (error) {
          done(error as Error);
          return;
        }
      }
      done();
    },
  });
  const server: Server = createServer(broker.handle);
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

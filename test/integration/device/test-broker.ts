// An aedes broker on 127.0.0.1 (ephemeral port) that records every client publish.
import net from 'node:net';
import { Aedes } from 'aedes';

export interface ReceivedMessage {
  topic: string;
  clientId: string;
  payload: string;
}

export interface TestBroker {
  url: string;
  port: number;
  received: ReceivedMessage[];
  close(): Promise<void>;
}

export const startTestBroker = async (): Promise<TestBroker> => {
  const broker = await Aedes.createBroker();
  const received: ReceivedMessage[] = [];
  broker.on('publish', (packet, client) => {
    // Broker-internal messages ($SYS heartbeats) have no client.
    if (client) {
      received.push({
        topic: packet.topic,
        clientId: client.id,
        payload: packet.payload.toString(),
      });
    }
  });
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    received,
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

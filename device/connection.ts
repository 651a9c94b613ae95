// One MQTT connection of the device agent, on aws-iot-device-sdk-v2: its MQTT 5 client or its
// MQTT 3.1.1 client; mTLS to AWS IoT Core on 8883 or plain TCP to a local broker. Both
// reconnect by themselves (MQTT 5 with fully jittered exponential backoff); the connection
// reports up/down so the offline queue knows when to send.
import { io, iot, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { BrokerUrlError, DeviceConnectError, PublishRejectedError } from './errors.js';

export type BrokerTarget =
  | { kind: 'local'; url: string }
  | {
      kind: 'aws';
      /** The account's IoT data endpoint host (…-ats.iot.<region>.amazonaws.com). */
      endpoint: string;
      certPath: string;
      keyPath: string;
      caPath: string;
      /** Thing name; defaults to the device id. */
      clientId?: string;
    };

export type MqttProtocol = '5' | '3.1.1';
export const MQTT_PROTOCOLS: readonly MqttProtocol[] = ['5', '3.1.1'];

export interface DeviceConnection {
  readonly clientId: string;
  readonly protocol: MqttProtocol;
  /** QoS 1 publish; resolves on PUBACK, rejects when the broker did not acknowledge it. */
  publish(topic: string, payload: string | Uint8Array): Promise<void>;
  isConnected(): boolean;
  /** Called on every loss and recovery of the connection. */
  onStateChange(listener: (connected: boolean) => void): void;
  /** Disconnects; idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_LOCAL_PORT = 1883;
const AWS_IOT_PORT = 8883;
const KEEP_ALIVE_SECONDS = 30;
/** An unacknowledged publish fails after this, so the offline queue can send it again. */
const OPERATION_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 5_000;
const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 30_000;

/** Host and port of `mqtt://host[:port]` (tcp:// accepted as a synonym). */
export const parseBrokerUrl = (url: string): { host: string; port: number } => {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new BrokerUrlError(url, 'not a URL', { cause: error });
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'tcp:') {
    throw new BrokerUrlError(url, 'only mqtt:// (plain TCP) is supported for a local broker');
  }
  if (parsed.hostname === '') throw new BrokerUrlError(url, 'missing host');
  const port = parsed.port === '' ? DEFAULT_LOCAL_PORT : Number(parsed.port);
  // IPv6 literals come back bracketed from URL; the CRT socket wants them bare.
  return { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port };
};

/** A human-readable name of the target, for messages. */
export const describeTarget = (target: BrokerTarget): string =>
  target.kind === 'local' ? target.url : `mqtts://${target.endpoint}:${AWS_IOT_PORT}`;

const socketOptions = (host: string) =>
  new io.SocketOptions(
    io.SocketType.STREAM,
    host.includes(':') ? io.SocketDomain.IPV6 : io.SocketDomain.IPV4,
    CONNECT_TIMEOUT_MS,
  );

/** Tracks up/down and notifies listeners; shared by both protocol adapters. */
class ConnectionState {
  connected = false;
  private readonly listeners: Array<(connected: boolean) => void> = [];
  set(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    for (const listener of this.listeners) listener(connected);
  }
  listen(listener: (connected: boolean) => void): void {
    this.listeners.push(listener);
  }
}

/** The DeviceConnection of an open client, either protocol: close() disconnects once. */
const deviceConnection = (
  clientId: string,
  protocol: MqttProtocol,
  state: ConnectionState,
  publish: DeviceConnection['publish'],
  disconnect: () => Promise<void>,
): DeviceConnection => {
  let closed: Promise<void> | undefined;
  return {
    clientId,
    protocol,
    publish,
    isConnected: () => state.connected,
    onStateChange: (listener) => state.listen(listener),
    close: () => {
      closed ??= disconnect();
      return closed;
    },
  };
};

const connectError = (target: BrokerTarget, clientId: string, cause: unknown) =>
  new DeviceConnectError(`${describeTarget(target)} as ${clientId}`, { cause });

// ---------------------------------------------------------------- MQTT 3.1.1

const config311 = (target: BrokerTarget, clientId: string): mqtt.MqttConnectionConfig => {
  if (target.kind === 'local') {
    const { host, port } = parseBrokerUrl(target.url);
    return {
      client_id: clientId,
      host_name: host,
      port,
      clean_session: true,
      keep_alive: KEEP_ALIVE_SECONDS,
      protocol_operation_timeout: OPERATION_TIMEOUT_MS,
      reconnect_min_sec: 1,
      reconnect_max_sec: RECONNECT_MAX_MS / 1000,
      socket_options: socketOptions(host),
    };
  }
  // The IoT builder also turns on IoT Core's per-client flow limits (100 publishes/s).
  return iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(
    target.certPath,
    target.keyPath,
  )
    .with_certificate_authority_from_path(undefined, target.caPath)
    .with_endpoint(target.endpoint)
    .with_port(AWS_IOT_PORT)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(KEEP_ALIVE_SECONDS)
    .with_protocol_operation_timeout_ms(OPERATION_TIMEOUT_MS)
    .with_reconnect_min_sec(1)
    .with_reconnect_max_sec(RECONNECT_MAX_MS / 1000)
    .build();
};

const open311 = async (
  client: mqtt.MqttClient,
  target: BrokerTarget,
  clientId: string,
): Promise<DeviceConnection> => {
  const state = new ConnectionState();
  let connection: mqtt.MqttClientConnection;
  try {
    // Building the AWS config reads the certificate files, which may be missing or unreadable.
    connection = client.new_connection(config311(target, clientId));
    // Without a listener the CRT emitter would throw on 'error' events (interruptions).
    connection.on('error', () => {});
    connection.on('interrupt', () => state.set(false));
    connection.on('resume', () => state.set(true));
    connection.on('disconnect', () => state.set(false));
    await connection.connect();
    state.set(true);
  } catch (error) {
    throw connectError(target, clientId, error);
  }
  const publish: DeviceConnection['publish'] = async (topic, payload) => {
    await connection.publish(topic, payload, mqtt.QoS.AtLeastOnce);
  };
  const disconnect = () =>
    connection.disconnect().catch(() => {
      // Already gone (broker closed first): nothing left to release.
    });
  return deviceConnection(clientId, '3.1.1', state, publish, disconnect);
};

// ---------------------------------------------------------------- MQTT 5

const config5 = (target: BrokerTarget, clientId: string): mqtt5.Mqtt5ClientConfig => {
  const common = {
    sessionBehavior: mqtt5.ClientSessionBehavior.Clean,
    retryJitterMode: mqtt5.RetryJitterType.Full,
    minReconnectDelayMs: RECONNECT_MIN_MS,
    maxReconnectDelayMs: RECONNECT_MAX_MS,
    // The agent's own outbox keeps readings while offline: fail in-flight ones so it resends.
    offlineQueueBehavior: mqtt5.ClientOperationQueueBehavior.FailAllOnDisconnect,
    ackTimeoutSeconds: OPERATION_TIMEOUT_MS / 1000,
    connackTimeoutMs: CONNECT_TIMEOUT_MS,
  };
  if (target.kind === 'local') {
    const { host, port } = parseBrokerUrl(target.url);
    return {
      hostName: host,
      port,
      connectProperties: { clientId, keepAliveIntervalSeconds: KEEP_ALIVE_SECONDS },
      socketOptions: socketOptions(host),
      ...common,
    };
  }
  return iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(
    target.endpoint,
    target.certPath,
    target.keyPath,
  )
    .withCertificateAuthorityFromPath(undefined, target.caPath)
    .withPort(AWS_IOT_PORT)
    .withConnectProperties({ clientId, keepAliveIntervalSeconds: KEEP_ALIVE_SECONDS })
    .withSessionBehavior(common.sessionBehavior)
    .withRetryJitterMode(common.retryJitterMode)
    .withMinReconnectDelayMs(common.minReconnectDelayMs)
    .withMaxReconnectDelayMs(common.maxReconnectDelayMs)
    .withOfflineQueueBehavior(common.offlineQueueBehavior)
    .withAckTimeoutSeconds(common.ackTimeoutSeconds)
    .withConnackTimeoutMs(common.connackTimeoutMs)
    .build();
};

const open5 = async (target: BrokerTarget, clientId: string): Promise<DeviceConnection> => {
  const state = new ConnectionState();
  let client: mqtt5.Mqtt5Client;
  try {
    client = new mqtt5.Mqtt5Client(config5(target, clientId));
  } catch (error) {
    throw connectError(target, clientId, error);
  }
  client.on('error', () => {});
  client.on('connectionSuccess', () => state.set(true));
  client.on('disconnection', () => state.set(false));
  // The first attempt decides: a wrong endpoint or certificate fails fast instead of retrying.
  const first = new Promise<void>((resolve, reject) => {
    client.once('connectionSuccess', () => resolve());
    client.once('connectionFailure', (event) => reject(event.error));
  });
  client.start();
  try {
    await first;
  } catch (error) {
    client.stop();
    client.close();
    throw connectError(target, clientId, error);
  }
  const publish: DeviceConnection['publish'] = async (topic, payload) => {
    const result = await client.publish({ topicName: topic, payload, qos: mqtt5.QoS.AtLeastOnce });
    // MQTT 5 acknowledges failures too: a reason code ≥ 128 means the broker refused it.
    const code = result?.reasonCode ?? 0;
    if (code >= 128) throw new PublishRejectedError(topic, code, result?.reasonString);
  };
  const disconnect = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      client.once('stopped', () => {
        clearTimeout(timer);
        resolve();
      });
      client.stop();
    }).then(() => {
      state.set(false);
      client.close();
    });
  return deviceConnection(clientId, '5', state, publish, disconnect);
};

/**
 * Opens one connection. `client` (MQTT 3.1.1) is shared by all connections of a fleet (one
 * event loop group instead of one per device); MQTT 5 clients are standalone.
 */
export const openConnection = async (
  client: mqtt.MqttClient,
  target: BrokerTarget,
  clientId: string,
  protocol: MqttProtocol = '3.1.1',
): Promise<DeviceConnection> => {
  // A bad URL is the caller's mistake and keeps its own error; the rest is the connection's.
  if (target.kind === 'local') parseBrokerUrl(target.url);
  return protocol === '5' ? open5(target, clientId) : open311(client, target, clientId);
};

export const createMqttClient = (): mqtt.MqttClient => new mqtt.MqttClient();

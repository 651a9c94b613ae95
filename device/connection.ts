// One MQTT connection of the device agent, built on aws-iot-device-sdk-v2's MQTT 3.1.1 client:
// mTLS to AWS IoT Core, or plain TCP to the local broker (aedes speaks MQTT 3.1.1 only).
import { io, iot, mqtt } from 'aws-iot-device-sdk-v2';
import { BrokerUrlError, DeviceConnectError } from './errors.js';

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

export interface DeviceConnection {
  readonly clientId: string;
  /** QoS 1 publish; resolves on PUBACK, rejects when the broker never acknowledged it. */
  publish(topic: string, payload: string): Promise<void>;
  /** Disconnects; idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_LOCAL_PORT = 1883;
const AWS_IOT_PORT = 8883;
const KEEP_ALIVE_SECONDS = 30;
/** An unacknowledged publish fails after this, so the fleet can count and retry it. */
const OPERATION_TIMEOUT_MS = 15_000;
const CONNECT_TIMEOUT_MS = 5_000;

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

const localConfig = (url: string, clientId: string): mqtt.MqttConnectionConfig => {
  const { host, port } = parseBrokerUrl(url);
  return {
    client_id: clientId,
    host_name: host,
    port,
    clean_session: true,
    keep_alive: KEEP_ALIVE_SECONDS,
    protocol_operation_timeout: OPERATION_TIMEOUT_MS,
    socket_options: new io.SocketOptions(
      io.SocketType.STREAM,
      host.includes(':') ? io.SocketDomain.IPV6 : io.SocketDomain.IPV4,
      CONNECT_TIMEOUT_MS,
    ),
  };
};

const awsConfig = (
  target: Extract<BrokerTarget, { kind: 'aws' }>,
  clientId: string,
): mqtt.MqttConnectionConfig =>
  // The IoT builder also turns on IoT Core's per-client flow limits (100 publishes/s).
  iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(target.certPath, target.keyPath)
    .with_certificate_authority_from_path(undefined, target.caPath)
    .with_endpoint(target.endpoint)
    .with_port(AWS_IOT_PORT)
    .with_client_id(clientId)
    .with_clean_session(true)
    .with_keep_alive_seconds(KEEP_ALIVE_SECONDS)
    .with_protocol_operation_timeout_ms(OPERATION_TIMEOUT_MS)
    .build();

/**
 * Opens one connection. `client` is shared by all connections of a fleet (one event loop
 * group instead of one per device).
 */
export const openConnection = async (
  client: mqtt.MqttClient,
  target: BrokerTarget,
  clientId: string,
): Promise<DeviceConnection> => {
  // A bad URL is the caller's mistake and keeps its own error; the rest is the connection's.
  if (target.kind === 'local') parseBrokerUrl(target.url);
  let connection: mqtt.MqttClientConnection;
  try {
    // Building the AWS config reads the certificate files, which may be missing or unreadable.
    const config =
      target.kind === 'local' ? localConfig(target.url, clientId) : awsConfig(target, clientId);
    connection = client.new_connection(config);
    // Without a listener the CRT emitter would throw on 'error' events (interruptions).
    connection.on('error', () => {});
    await connection.connect();
  } catch (error) {
    throw new DeviceConnectError(`${describeTarget(target)} as ${clientId}`, { cause: error });
  }
  let closed: Promise<void> | undefined;
  return {
    clientId,
    publish: async (topic, payload) => {
      await connection.publish(topic, payload, mqtt.QoS.AtLeastOnce);
    },
    close: () => {
      closed ??= connection.disconnect().catch(() => {
        // Already gone (broker closed first): nothing left to release.
      });
      return closed;
    },
  };
};

export const createMqttClient = (): mqtt.MqttClient => new mqtt.MqttClient();

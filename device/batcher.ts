// Telemetry v1 batches on the device side: a device's readings are held until `readingsPerMessage`
// of them make one message (core/telemetry.ts "telemetry v1 batches"), so the fleet pays one IoT
// message, one rule evaluation and one Firehose record (each metered in 5 KB units) per batch.
// 1 (the default) sends every reading on its own, the single-reading form. Pure: no I/O, no clock.
import { MAX_READINGS_PER_MESSAGE } from '../core/telemetry.js';
import type { DeviceReading } from './sources.js';

export interface BatchMessage {
  deviceId: string;
  /** The message body: a v1 reading, or a batch {deviceId, readings:[…]}. */
  payload: string;
  /** Readings the message carries. */
  readings: number;
}

/** The payload of a batch: the device id once, each reading without it. */
export const batchPayload = (deviceId: string, readings: readonly DeviceReading[]): string =>
  JSON.stringify({
    deviceId,
    readings: readings.map(({ deviceId: _, ...reading }) => reading),
  });

export interface Batcher {
  /** Holds the reading; returns the message it completes, if any. */
  add(reading: DeviceReading): BatchMessage | undefined;
  /** The partial batches held, as messages (a device's last readings before a stop). */
  flush(): BatchMessage[];
}

export const createBatcher = (
  readingsPerMessage: number,
  single: (reading: DeviceReading) => string,
): Batcher => {
  if (
    !Number.isInteger(readingsPerMessage) ||
    readingsPerMessage < 1 ||
    readingsPerMessage > MAX_READINGS_PER_MESSAGE
  ) {
    throw new RangeError(
      `readingsPerMessage must be an integer in 1-${MAX_READINGS_PER_MESSAGE}, got ${readingsPerMessage}`,
    );
  }
  const held = new Map<string, DeviceReading[]>();
  const messageOf = (deviceId: string, readings: DeviceReading[]): BatchMessage =>
    readings.length === 1 && readingsPerMessage === 1
      ? { deviceId, payload: single(readings[0] as DeviceReading), readings: 1 }
      : { deviceId, payload: batchPayload(deviceId, readings), readings: readings.length };
  return {
    add: (reading) => {
      if (readingsPerMessage === 1) return messageOf(reading.deviceId, [reading]);
      const list = held.get(reading.deviceId) ?? [];
      list.push(reading);
      if (list.length < readingsPerMessage) {
        held.set(reading.deviceId, list);
        return undefined;
      }
      held.delete(reading.deviceId);
      return messageOf(reading.deviceId, list);
    },
    flush: () => {
      const out = [...held].map(([deviceId, list]) => messageOf(deviceId, list));
      held.clear();
      return out;
    },
  };
};

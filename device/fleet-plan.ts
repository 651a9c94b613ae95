// Validates fleet options and decides which device publishes on which connection. Pure, so the
// rules (one connection per thing on AWS, round-robin sharing locally) are tested without MQTT.
import type { BrokerTarget } from './connection.js';
import { FleetConfigError } from './errors.js';
import { simulatedDeviceIds } from './synthetic.js';

export const DEFAULT_STEP_MINUTES = 15;
export const MAX_DEVICES = 10_000;

export interface FleetPlanOptions {
  broker: BrokerTarget;
  devices: number;
  deviceIds?: string[];
  backfillHours: number;
  stepMinutes?: number;
  realtime: boolean;
  intervalMs?: number;
  connections?: number;
}

export interface ConnectionPlan {
  clientId: string;
  deviceIds: string[];
}

export interface FleetPlan {
  deviceIds: string[];
  connections: ConnectionPlan[];
  stepMinutes: number;
  intervalMs: number;
}

const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

const requireNumber = (name: string, value: number, min: number, max: number, integer: boolean) => {
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    const kind = integer ? 'an integer' : 'a number';
    throw new FleetConfigError(`${name} must be ${kind} in [${min}, ${max}], got ${value}`);
  }
};

const resolveDeviceIds = (options: FleetPlanOptions): string[] => {
  const { broker } = options;
  if (options.deviceIds !== undefined) {
    if (options.deviceIds.length === 0) throw new FleetConfigError('deviceIds must not be empty');
    return options.deviceIds;
  }
  requireNumber('devices', options.devices, 1, MAX_DEVICES, true);
  // On AWS the thing name is the client id, so a single named thing is also the device id.
  if (broker.kind === 'aws' && broker.clientId !== undefined && options.devices === 1) {
    return [broker.clientId];
  }
  return simulatedDeviceIds(options.devices);
};

/** Devices spread round-robin over at most `count` connections. */
const shareConnections = (deviceIds: string[], count: number): ConnectionPlan[] => {
  const groups = Array.from({ length: Math.min(count, deviceIds.length) }, () => [] as string[]);
  deviceIds.forEach((id, i) => {
    groups[i % groups.length]?.push(id);
  });
  return groups.map((ids) => ({
    clientId: ids.length === 1 ? (ids[0] as string) : `fleet-${ids[0]}`,
    deviceIds: ids,
  }));
};

export const planFleet = (options: FleetPlanOptions): FleetPlan => {
  const deviceIds = resolveDeviceIds(options);
  const invalid = deviceIds.find((id) => !DEVICE_ID.test(id));
  if (invalid !== undefined) {
    throw new FleetConfigError(
      `device id ${JSON.stringify(invalid)} must be 1-128 of [A-Za-z0-9_.:-]`,
    );
  }
  if (new Set(deviceIds).size !== deviceIds.length) {
    throw new FleetConfigError('device ids must be unique');
  }
  const stepMinutes = options.stepMinutes ?? DEFAULT_STEP_MINUTES;
  requireNumber('stepMinutes', stepMinutes, 1, 24 * 60, true);
  requireNumber('backfillHours', options.backfillHours, 0, 24 * 366, false);
  const intervalMs = options.intervalMs ?? stepMinutes * 60_000;
  requireNumber('intervalMs', intervalMs, 1, 24 * 3_600_000, true);

  const { broker } = options;
  if (broker.kind === 'aws') {
    if (broker.clientId !== undefined && deviceIds.length > 1) {
      throw new FleetConfigError('clientId names one thing: use it with a single device');
    }
    if (options.connections !== undefined && options.connections !== deviceIds.length) {
      throw new FleetConfigError(
        'on AWS IoT every device needs its own connection (one per thing)',
      );
    }
    const connections = deviceIds.map((id) => ({
      clientId: broker.clientId ?? id,
      deviceIds: [id],
    }));
    return { deviceIds, connections, stepMinutes, intervalMs };
  }
  const connectionCount = options.connections ?? deviceIds.length;
  requireNumber('connections', connectionCount, 1, MAX_DEVICES, true);
  return {
    deviceIds,
    connections: shareConnections(deviceIds, connectionCount),
    stepMinutes,
    intervalMs,
  };
};

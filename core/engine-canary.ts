// Which devices an engine canary serves: a stable hash of the device id (salted, so the canary's
// devices are not one context shard's) picked into 100 buckets; a device whose bucket is under
// the canary's percent is forecast by the canary, every other device by the champion. The same
// device always lands on the same side, on every forecast Lambda instance and every hour.
import { hashDeviceId } from './context-shards.js';

/** The variant name the forecast answers as when the engine canary served the request. */
export const CANARY_VARIANT = 'canary';

/** Which side of a canary a forecast was served by (the error metric's Role dimension). */
export type ServedRole = 'champion' | 'canary';

/** The bucket (0..99) of a device: stable, and independent of its context shard. */
export const canaryBucket = (deviceId: string): number => hashDeviceId(`canary:${deviceId}`) % 100;

/** Whether the canary serves `deviceId` at `percent` (0..100) of devices. */
export const inCanary = (deviceId: string, percent: number): boolean =>
  canaryBucket(deviceId) < percent;

// Seeded, stateless generator of telemetry v1 for simulated sensors around Beijing.
// Stateless on purpose: a reading depends only on (seed, deviceId, time, seq), so a backfill
// replayed after a restart yields byte-identical messages that the lake can de-duplicate.
import type { Metric } from '../core/metrics.js';
import { hashString } from '../core/random.js';
import type { TelemetryV1 } from '../core/telemetry.js';

/**
 * A telemetry v1 message with every field present; a metric is null when the simulated sensor
 * dropped out for that reading.
 */
export type SyntheticReading = Required<{
  [K in keyof TelemetryV1]: K extends Metric ? number | null : NonNullable<TelemetryV1[K]>;
}>;

/** The original blog post's device payload; `timestamp` is epoch milliseconds. */
export interface LegacyPayload {
  ozone: number | null;
  particullate_matter: number | null;
  carbon_monoxide: number | null;
  sulfure_dioxide: number | null;
  nitrogen_dioxide: number | null;
  longitude: number | null;
  latitude: number | null;
  timestamp: number;
}

/** What makes one simulated device different from the others; stable for a (seed, id). */
export interface DeviceProfile {
  deviceId: string;
  lat: number;
  lon: number;
  /** Multiplier of the primary pollutants (traffic, heating): busy street vs park. */
  level: number;
  /** Multiplier of ozone, which is regional and varies less between sites. */
  ozoneLevel: number;
  /** Shift of the daily cycle in hours, so devices do not peak in lockstep. */
  phaseHours: number;
  /** PM10 / PM2.5 ratio of the site (dust vs combustion). */
  coarseRatio: number;
}

const BEIJING = { lat: 39.9, lon: 116.4 };
/** Beijing is UTC+8 all year (no DST): the daily cycle follows local time. */
const UTC_OFFSET_HOURS = 8;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Ids of a simulated fleet: sim-001, sim-002, … (zero-padded so they sort). */
export const simulatedDeviceIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `sim-${String(i + 1).padStart(3, '0')}`);

/** The shared FNV-1a hash followed by murmur3's finaliser: cheap, well mixed, deterministic. */
const hash32 = (text: string): number => {
  let h = hashString(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

/** A uniform number in (0, 1) determined by the key. */
const uniform = (key: string): number => (hash32(key) + 0.5) / 2 ** 32;

/** A standard normal number determined by the key (Box-Muller on two hashed uniforms). */
const normal = (key: string): number =>
  Math.sqrt(-2 * Math.log(uniform(`${key}|u`))) * Math.cos(2 * Math.PI * uniform(`${key}|v`));

/** Multiplicative noise with mean 1 that can never make a value negative. */
const lognormalNoise = (key: string, sigma: number): number =>
  Math.exp(sigma * normal(key) - (sigma * sigma) / 2);

const round = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

export const deviceProfile = (seed: number, deviceId: string): DeviceProfile => {
  const u = (field: string) => uniform(`${seed}|${deviceId}|${field}`);
  return {
    deviceId,
    lat: round(BEIJING.lat + (u('lat') - 0.5) * 0.3, 5),
    lon: round(BEIJING.lon + (u('lon') - 0.5) * 0.4, 5),
    level: 0.6 + 0.9 * u('level'),
    ozoneLevel: 0.8 + 0.4 * u('ozone'),
    phaseHours: (u('phase') - 0.5) * 2,
    coarseRatio: 1.4 + 0.5 * u('coarse'),
  };
};

/** Local (Beijing) hour of day in [0, 24), fractional. */
export const localHourOfDay = (tsMs: number): number =>
  (((tsMs / HOUR_MS + UTC_OFFSET_HOURS) % 24) + 24) % 24;

/** A Gaussian bump on the 24-hour circle, 1 at `center`. */
const dailyBump = (hour: number, center: number, widthHours: number): number => {
  const raw = Math.abs(hour - center) % 24;
  const distance = Math.min(raw, 24 - raw);
  return Math.exp(-0.5 * (distance / widthHours) ** 2);
};

/**
 * Regional weather shared by every device of a seed: days of stagnant air raise particulate
 * levels for the whole city at once, which is what makes the series worth forecasting.
 */
const weatherFactor = (seed: number, tsMs: number): number => {
  const phase1 = 2 * Math.PI * uniform(`${seed}|weather|1`);
  const phase2 = 2 * Math.PI * uniform(`${seed}|weather|2`);
  return (
    1 +
    0.35 * Math.sin((2 * Math.PI * tsMs) / (2.7 * DAY_MS) + phase1) +
    0.2 * Math.sin((2 * Math.PI * tsMs) / (6.3 * DAY_MS) + phase2)
  );
};

/** Days counted Monday = 0 in Beijing local time. */
export const localDayOfWeek = (tsMs: number): number =>
  (Math.floor((tsMs + UTC_OFFSET_HOURS * HOUR_MS) / DAY_MS) + 3) % 7;

/** Weekends have less commuter traffic. */
const weeklyTraffic = (tsMs: number): number => (localDayOfWeek(tsMs) >= 5 ? 0.7 : 1);

const EPISODE_WINDOW_MS = 4 * DAY_MS;
const EPISODE_CLEARING_MS = 6 * HOUR_MS;

/**
 * Haze episodes, as in Beijing winters: in some 4-day windows (seeded) stagnant air lets the
 * particulate load build up for one to three days, then a cold front clears it within hours.
 * Returns the multiplier of the primary pollutants at `tsMs` (1 outside an episode).
 */
export const episodeFactor = (seed: number, tsMs: number): number => {
  const window = Math.floor(tsMs / EPISODE_WINDOW_MS);
  let factor = 1;
  // An episode may start in the previous window and still be going on.
  for (const w of [window - 1, window]) {
    const key = `${seed}|episode|${w}`;
    if (uniform(`${key}|happens`) > 0.45) continue;
    const start = w * EPISODE_WINDOW_MS + uniform(`${key}|start`) * EPISODE_WINDOW_MS;
    const length = (1 + 2 * uniform(`${key}|length`)) * DAY_MS;
    const peak = 1.5 + 2 * uniform(`${key}|peak`);
    const t = tsMs - start;
    let shape = 0;
    if (t >= 0 && t < length) shape = t / length;
    else if (t >= length && t < length + EPISODE_CLEARING_MS) {
      shape = 1 - (t - length) / EPISODE_CLEARING_MS;
    }
    factor = Math.max(factor, 1 + (peak - 1) * shape);
  }
  return factor;
};

/** Share of metric values a simulated sensor fails to report (sent as null). */
export const DROPOUT_RATE = 0.01;

export interface SyntheticReadingInput {
  seed: number;
  deviceId: string;
  /** Reading time, epoch milliseconds. */
  ts: number;
  seq: number;
}

/** One reading. Same seed, device and time give the same values (µg/m³). */
export const syntheticReading = ({
  seed,
  deviceId,
  ts,
  seq,
}: SyntheticReadingInput): SyntheticReading => {
  const device = deviceProfile(seed, deviceId);
  const hour = localHourOfDay(ts) - device.phaseHours;
  const traffic = (dailyBump(hour, 8, 1.5) + 0.9 * dailyBump(hour, 18.5, 2)) * weeklyTraffic(ts);
  // The nocturnal boundary layer is shallow, so primary pollutants pile up overnight.
  const inversion = dailyBump(hour, 2, 3);
  // Ozone is photochemical: it follows the sun and peaks mid-afternoon.
  const sunlight = Math.max(0, Math.cos((2 * Math.PI * (hour - 15)) / 24)) ** 2;
  const weather = weatherFactor(seed, ts) * episodeFactor(seed, ts);
  const noise = (metric: string, sigma: number) =>
    lognormalNoise(`${seed}|${deviceId}|${ts}|${metric}`, sigma);
  // Occasional dropouts: a sensor channel that did not answer this time.
  const report = (metric: string, value: number): number | null =>
    uniform(`${seed}|${deviceId}|${ts}|${metric}|dropout`) < DROPOUT_RATE ? null : value;

  const pm25 = device.level * weather * (28 + 30 * traffic + 12 * inversion) * noise('pm25', 0.15);
  return {
    deviceId,
    ts: new Date(ts).toISOString(),
    seq,
    lat: device.lat,
    lon: device.lon,
    o3: report('o3', round(device.ozoneLevel * (15 + 95 * sunlight) * noise('o3', 0.12), 1)),
    pm25: report('pm25', round(pm25, 1)),
    pm10: report(
      'pm10',
      round((pm25 * device.coarseRatio + 10 * device.level) * noise('pm10', 0.1), 1),
    ),
    co: report(
      'co',
      round(
        device.level * weather * (450 + 700 * traffic + 300 * inversion) * noise('co', 0.15),
        0,
      ),
    ),
    so2: report(
      'so2',
      round(device.level * weather * (6 + 3 * traffic + 4 * inversion) * noise('so2', 0.2), 1),
    ),
    no2: report(
      'no2',
      round(device.level * (22 + 35 * traffic + 10 * inversion) * noise('no2', 0.15), 1),
    ),
  };
};

/** The reading in the original blog post's shape (no deviceId: the topic carries it). */
export const legacyPayload = (reading: {
  ts: string;
  o3: number | null;
  pm25: number | null;
  co: number | null;
  so2: number | null;
  no2: number | null;
  lat: number | null;
  lon: number | null;
}): LegacyPayload => ({
  ozone: reading.o3,
  particullate_matter: reading.pm25,
  carbon_monoxide: reading.co,
  sulfure_dioxide: reading.so2,
  nitrogen_dioxide: reading.no2,
  longitude: reading.lon,
  latitude: reading.lat,
  timestamp: Date.parse(reading.ts),
});

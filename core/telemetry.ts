// Telemetry contract v1 (docs/ingestion.md "Telemetry v1"): validating and normalising a message.
// Also maps the legacy payload of the original Node.js device. Pure: the clock is a parameter.
import { z } from 'zod';
import { METRICS, type Metric } from './metrics.js';

export const TOPIC_PREFIX = 'smogcast';
export const telemetryTopic = (deviceId: string): string => `${TOPIC_PREFIX}/${deviceId}/telemetry`;
export const TELEMETRY_TOPIC_FILTER = `${TOPIC_PREFIX}/+/telemetry`;

/** The device id in a telemetry topic, or undefined when the topic is not one. */
export const deviceIdFromTopic = (topic: string): string | undefined => {
  const parts = topic.split('/');
  return parts.length === 3 && parts[0] === TOPIC_PREFIX && parts[2] === 'telemetry'
    ? parts[1]
    : undefined;
};

/** Concentrations above this (µg/m³) are physically impossible for an ambient sensor. */
export const MAX_CONCENTRATION = 100_000;
/** Readings stamped further than this into the future are rejected. */
export const MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000;

const DEVICE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]00:?00)$/;

const concentration = z
  .number()
  .refine(Number.isFinite, 'must be a finite number')
  .refine((v) => v >= 0, 'must not be negative')
  .refine((v) => v <= MAX_CONCENTRATION, `must be at most ${MAX_CONCENTRATION}`)
  .nullable()
  .optional();

export const TelemetryV1 = z.object({
  deviceId: z.string().regex(DEVICE_ID, 'must be 1-128 of [A-Za-z0-9_.:-]'),
  ts: z.string().regex(ISO_UTC, 'must be an ISO-8601 UTC timestamp'),
  seq: z.number().int().nonnegative().optional(),
  lat: z.number().min(-90).max(90).nullable().optional(),
  lon: z.number().min(-180).max(180).nullable().optional(),
  o3: concentration,
  pm25: concentration,
  pm10: concentration,
  co: concentration,
  so2: concentration,
  no2: concentration,
});
export type TelemetryV1 = z.infer<typeof TelemetryV1>;

/** One normalised reading: what the lake's curated layer stores. */
export type Reading = {
  deviceId: string;
  /** Epoch milliseconds, UTC. */
  ts: number;
  seq: number | null;
  lat: number | null;
  lon: number | null;
} & Record<Metric, number | null>;

export type ParseResult = { ok: true; reading: Reading } | { ok: false; reason: string };

/** Field names of the original blog post's device payload, mapped onto telemetry v1. */
const LEGACY_FIELDS: Record<string, keyof TelemetryV1> = {
  ozone: 'o3',
  particullate_matter: 'pm25',
  carbon_monoxide: 'co',
  sulfure_dioxide: 'so2',
  nitrogen_dioxide: 'no2',
  latitude: 'lat',
  longitude: 'lon',
};

export const isLegacyPayload = (message: Record<string, unknown>): boolean =>
  !('deviceId' in message) && ('ozone' in message || 'particullate_matter' in message);

const legacyTimestamp = (value: unknown): string | undefined => {
  if (typeof value === 'string')
    return /^\d+$/.test(value) ? legacyTimestamp(Number(value)) : value;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  // Epoch seconds or milliseconds: anything below 1e11 is seconds (until year 5138).
  const ms = value < 1e11 ? value * 1000 : value;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

const fromLegacy = (message: Record<string, unknown>, deviceId: string | undefined) => {
  const mapped: Record<string, unknown> = { deviceId, ts: legacyTimestamp(message.timestamp) };
  for (const [legacy, field] of Object.entries(LEGACY_FIELDS)) {
    if (legacy in message) mapped[field] = message[legacy];
  }
  return mapped;
};

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`).join('; ');

export interface ParseContext {
  /** Device id taken from the MQTT topic the message arrived on, when known. */
  topicDeviceId?: string;
  /** Wall clock for the far-future check, epoch ms. */
  now: number;
}

/**
 * Validates one decoded message (v1 or legacy) and normalises it into a Reading.
 * Never throws: a bad message yields `{ ok: false, reason }` for the quarantine.
 */
export const parseTelemetry = (message: unknown, context: ParseContext): ParseResult => {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { ok: false, reason: 'message is not a JSON object' };
  }
  const record = message as Record<string, unknown>;
  const candidate = isLegacyPayload(record) ? fromLegacy(record, context.topicDeviceId) : record;
  const parsed = TelemetryV1.safeParse(candidate);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const v1 = parsed.data;
  if (context.topicDeviceId !== undefined && v1.deviceId !== context.topicDeviceId) {
    return {
      ok: false,
      reason: `deviceId ${v1.deviceId} does not match topic device ${context.topicDeviceId}`,
    };
  }
  const ts = Date.parse(v1.ts);
  if (Number.isNaN(ts)) return { ok: false, reason: 'ts: not a valid date' };
  if (ts > context.now + MAX_CLOCK_SKEW_MS) {
    return { ok: false, reason: `ts: ${v1.ts} is too far in the future` };
  }
  const reading = {
    deviceId: v1.deviceId,
    ts,
    seq: v1.seq ?? null,
    lat: v1.lat ?? null,
    lon: v1.lon ?? null,
  } as Reading;
  for (const metric of METRICS) reading[metric] = v1[metric] ?? null;
  return { ok: true, reading };
};

// The curated layer's contract (DESIGN.md "Curated"): one Parquet row per reading, hive
// partitions dt=YYYY-MM-DD by reading time (UTC), unique on (deviceId, seq) or (deviceId, ts).
import { CURATED_PREFIX, curatedPartitionPrefix } from '../common/lake.js';
import { METRICS } from '../common/metrics.js';
import type { ParquetColumnSpec } from '../common/parquet.js';
import type { Reading } from '../common/telemetry.js';

/** A curated row: the normalised reading plus when the IoT rule received it. */
export type CuratedRow = Reading & { receivedAt: number };

export const CURATED_COLUMNS: readonly ParquetColumnSpec[] = [
  { name: 'deviceId', type: 'STRING', nullable: false },
  { name: 'ts', type: 'TIMESTAMP_UTC_MILLIS', nullable: false },
  { name: 'seq', type: 'INT64', nullable: true },
  { name: 'lat', type: 'DOUBLE', nullable: true },
  { name: 'lon', type: 'DOUBLE', nullable: true },
  ...METRICS.map((name) => ({ name, type: 'DOUBLE' as const, nullable: true })),
  { name: 'receivedAt', type: 'INT64', nullable: false },
];

export const CURATED_COLUMN_NAMES = CURATED_COLUMNS.map((c) => c.name);

/** The single file each partition holds; the ETL rewrites it when new rows land. */
export const PARTITION_FILE = 'part-0000.parquet';

export const partitionFileKey = (dt: string): string =>
  `${curatedPartitionPrefix(dt)}${PARTITION_FILE}`;

/** Raw keys already turned into curated rows; written after the data it vouches for. */
export const CHECKPOINT_KEY = `${CURATED_PREFIX}_checkpoint.json`;

export interface EtlCheckpoint {
  version: 1;
  processed: string[];
}

export const quarantineKey = (runDate: string, runId: string): string =>
  `quarantine/dt=${runDate}/${runId}.ndjson`;

export interface QuarantineEntry {
  reason: string;
  sourceKey: string;
  line: string;
}

export interface EtlResult {
  rawObjects: number;
  rows: number;
  quarantined: number;
  duplicates: number;
  /** The dt values (YYYY-MM-DD) whose partition file was (re)written. */
  partitions: string[];
}

const DT_KEY = /^curated\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/;

/** The dt of a curated Parquet key, or undefined for anything else under curated/. */
export const partitionOfKey = (key: string): string | undefined => DT_KEY.exec(key)?.[1];

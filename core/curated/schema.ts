// The curated layer's contract (docs/etl.md "Output contract"): one Parquet row per reading, hive
// partitions dt=YYYY-MM-DD by reading time (UTC), unique on (deviceId, seq) or (deviceId, ts).
import { CURATED_PREFIX, curatedPartitionPrefix } from '../lake.js';
import { METRICS } from '../metrics.js';
import type { ParquetColumnSpec } from '../parquet.js';
import type { Reading } from '../telemetry.js';

/** A curated row: the normalised reading plus when the IoT rule received it. */
export type CuratedRow = Reading & { receivedAt: number };

// Encodings chosen for the data's shape (and the ETL's speed): sorted epoch ms and counters
// delta-encode to a few bits; measurements rarely repeat, so trying a dictionary on them is
// wasted work; device ids and positions repeat and keep the writer's dictionary.
export const CURATED_COLUMNS: readonly ParquetColumnSpec[] = [
  { name: 'deviceId', type: 'STRING', nullable: false },
  { name: 'ts', type: 'TIMESTAMP_UTC_MILLIS', nullable: false, encoding: 'DELTA_BINARY_PACKED' },
  { name: 'seq', type: 'INT64', nullable: true, encoding: 'DELTA_BINARY_PACKED' },
  { name: 'lat', type: 'DOUBLE', nullable: true },
  { name: 'lon', type: 'DOUBLE', nullable: true },
  ...METRICS.map((name) => ({
    name,
    type: 'DOUBLE' as const,
    nullable: true,
    statistics: false,
  })),
  {
    name: 'receivedAt',
    type: 'INT64',
    nullable: false,
    encoding: 'DELTA_BINARY_PACKED',
    statistics: false,
  },
];

export const CURATED_COLUMN_NAMES = CURATED_COLUMNS.map((c) => c.name);

/**
 * The file the local ETL writes per partition. When it merges new rows into a partition it
 * reads every Parquet file there (the Glue job's part-…snappy.parquet files included), writes
 * this one file and then deletes the others, so the two engines can take turns on one lake.
 */
export const PARTITION_FILE = 'part-0000.parquet';

export const partitionFileKey = (dt: string): string =>
  `${curatedPartitionPrefix(dt)}${PARTITION_FILE}`;

/** Raw keys already turned into curated rows; written after the data it vouches for. */
export const CHECKPOINT_KEY = `${CURATED_PREFIX}_checkpoint.json`;

/**
 * Bounded incremental state: every raw key sorting before `watermark` (a Firehose hour folder,
 * `raw/YYYY/MM/DD/HH/`) is done, and so is every key in `processed` (those at or after it).
 * The watermark trails the newest processed folder by the late-arrival window, the same idea
 * as a Glue job bookmark's timestamp plus its inconsistency window.
 */
export interface EtlCheckpoint {
  version: 2;
  watermark: string | null;
  processed: string[];
}

const RAW_KEY = /^raw\/(\d{4})\/(\d{2})\/(\d{2})\/\d{2}\/([^/]+?)(?:\.gz)?$/;

/**
 * Where the lines of one raw object that failed validation go: derived from the raw key alone,
 * so re-processing an object (after a crash, or by the other engine) overwrites, never adds.
 * A gzip delivery's `.gz` is dropped: the quarantine object is plain NDJSON.
 */
export const quarantineKey = (rawKey: string): string => {
  const m = RAW_KEY.exec(rawKey);
  if (m) return `quarantine/dt=${m[1]}-${m[2]}-${m[3]}/${m[4]}.ndjson`;
  return `quarantine/other/${rawKey.replace(/^raw\//, '').replace(/\//g, '_')}.ndjson`;
};

export interface QuarantineEntry {
  reason: string;
  sourceKey: string;
  line: string;
}

export interface EtlResult {
  rawObjects: number;
  /** Lines read (good and bad). */
  lines: number;
  rows: number;
  quarantined: number;
  duplicates: number;
  /** The dt values (YYYY-MM-DD) whose partition file was (re)written. */
  partitions: string[];
}

/** The result of a run that found nothing new: every count 0, no partition written. */
export const nothingProcessed = (): EtlResult => ({
  rawObjects: 0,
  lines: 0,
  rows: 0,
  quarantined: 0,
  duplicates: 0,
  partitions: [],
});

const DT_KEY = /^curated\/dt=(\d{4}-\d{2}-\d{2})\/[^/]+\.parquet$/;

/** The dt of a curated Parquet key, or undefined for anything else under curated/. */
export const partitionOfKey = (key: string): string | undefined => DT_KEY.exec(key)?.[1];

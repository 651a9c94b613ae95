// Data lake key layout (README "The data lake"). Every module builds keys through here.
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export const RAW_PREFIX = 'raw/';
export const ERRORS_PREFIX = 'errors/';
export const CURATED_PREFIX = 'curated/';
export const QUARANTINE_PREFIX = 'quarantine/';
export const DEEPAR_PREFIX = 'deepar/';
export const CONTEXT_PREFIX = 'context/';
export const MODELS_PREFIX = 'models/';
export const RUNS_PREFIX = 'runs/';

/** `YYYY/MM/DD/HH/` of a UTC instant, as Firehose names its folders. */
export const hourFolder = (epochMs: number): string => {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
};

/**
 * Firehose's S3 object name: `<prefix>YYYY/MM/DD/HH/<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`.
 */
export const firehoseObjectKey = (
  prefix: string,
  streamName: string,
  epochMs: number,
  uuid: string,
  version = 1,
): string => {
  const d = new Date(epochMs);
  const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  return `${prefix}${hourFolder(epochMs)}${streamName}-${version}-${stamp}-${uuid}`;
};

/** `YYYY-MM-DD` (UTC) of an instant: the curated partition value. */
export const partitionDate = (epochMs: number): string =>
  new Date(epochMs).toISOString().slice(0, 10);

export const curatedPartitionPrefix = (dt: string): string => `${CURATED_PREFIX}dt=${dt}/`;

/** context/pages/<shard>/<YYYYMMDDHH>.json: one hour of one page shard (core/context-shards.ts). */
export const contextPagePrefix = (shard: number): string =>
  `${CONTEXT_PREFIX}pages/${pad(shard, 4)}/`;

const hourStamp = (epochMs: number): string => {
  const d = new Date(epochMs);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}`;
};

export const contextPageKey = (shard: number, hour: number): string =>
  `${contextPagePrefix(shard)}${hourStamp(hour)}.json`;

/** The hour (epoch ms) a page key names, or undefined for another key. */
export const hourOfContextPageKey = (key: string): number | undefined => {
  const match = /\/(\d{4})(\d{2})(\d{2})(\d{2})\.json$/.exec(key);
  if (!match) return undefined;
  const [, y, m, d, h] = match.map(Number);
  return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1, h ?? 0);
};

/** context/history/<historyShard>.json: the folded complete hours of a few devices. */
export const contextHistoryKey = (historyShard: number): string =>
  `${CONTEXT_PREFIX}history/${pad(historyShard, 5)}.json`;

/** context/summary/<shard>.json: the fleet view of one page shard's devices. */
export const fleetSummaryKey = (shard: number): string =>
  `${CONTEXT_PREFIX}summary/${pad(shard, 4)}.json`;

/** Where one retrain run's DeepAR channels and side files live. */
export const deeparRunPrefix = (runId: string): string => `${DEEPAR_PREFIX}${runId}/`;

export const s3Uri = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

export const parseS3Uri = (uri: string): { bucket: string; key: string } => {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: match[1] ?? '', key: match[2] ?? '' };
};

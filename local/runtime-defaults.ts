// The local runtime's defaults, once: what `npm start`, the integration tests and the benchmarks
// run with unless they say otherwise. They match serverless.yml's default stage where both exist
// (bucket and endpoint names, prediction length, context window and its shards).
import type { RuntimeSettings } from './runtime.js';

export const RUNTIME_DEFAULTS = {
  host: '127.0.0.1',
  bucket: 'smogcast-lake',
  endpointName: 'smogcast',
  predictionLength: 24,
  contextLength: 72,
  contextHours: 336,
  contextShards: 32,
  contextHistoryShards: 1024,
  historyDays: 28,
} as const satisfies Partial<RuntimeSettings>;

/** Settings for a runtime inside a test or benchmark: ephemeral ports, quick buffers, no schedule, quiet. */
export const quickRuntimeSettings = (dataDir: string, apiKey: string): RuntimeSettings => ({
  ...RUNTIME_DEFAULTS,
  port: 0,
  mqttPort: 0,
  dataDir,
  apiKey,
  retrainIntervalMs: 0,
  bufferBytes: 256 * 1024,
  bufferIntervalMs: 200,
  log: () => undefined,
});

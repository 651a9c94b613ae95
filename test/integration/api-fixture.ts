// One local runtime with a small simulated fleet and a deployed model, shared by every test in a
// file (starting one takes a few seconds; each test file gets its own, on ephemeral ports).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../../device/fleet.js';
import { type LocalRuntime, type RuntimeSettings, startLocalRuntime } from '../../local/runtime.js';

export const API_KEY = 'api-test-key-0123456789';

export interface ServingRuntime {
  runtime: LocalRuntime;
  deviceIds: string[];
  close(): Promise<void>;
}

export interface ServingRuntimeOptions {
  devices?: number;
  backfillHours?: number;
  corsOrigins?: string[];
  /** Deploy a model before returning (false: the runtime answers 503 on /forecast). */
  deploy?: boolean;
  log?: (message: string) => void;
}

/** Local runtime settings for tests: ephemeral ports, quick buffers, no schedule, quiet. */
export const testRuntimeSettings = (dataDir: string, apiKey: string): RuntimeSettings => ({
  host: '127.0.0.1',
  port: 0,
  mqttPort: 0,
  dataDir,
  apiKey,
  bucket: 'smogcast-lake',
  endpointName: 'smogcast',
  predictionLength: 24,
  contextLength: 72,
  contextHours: 336,
  historyDays: 28,
  retrainIntervalMs: 0,
  bufferBytes: 256 * 1024,
  bufferIntervalMs: 200,
  log: () => undefined,
});

export const startServingRuntime = async (
  options: ServingRuntimeOptions = {},
): Promise<ServingRuntime> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'smogcast-api-'));
  const runtime = await startLocalRuntime({
    ...testRuntimeSettings(dataDir, API_KEY),
    corsOrigins: options.corsOrigins,
    log: options.log ?? (() => undefined),
  });
  const close = async () => {
    await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const devices = options.devices ?? 3;
    const fleet = await startFleet({
      broker: { kind: 'local', url: runtime.mqttUrl },
      devices,
      seed: 11,
      backfillHours: options.backfillHours ?? 96,
      stepMinutes: 30,
      realtime: false,
    });
    await fleet.backfillDone;
    await fleet.stop();
    await runtime.drain();
    if (options.deploy !== false) await runtime.retrain();
    const deviceIds = Array.from(
      { length: devices },
      (_, i) => `sim-${String(i + 1).padStart(3, '0')}`,
    );
    return { runtime, deviceIds, close };
  } catch (error) {
    await close();
    throw error;
  }
};

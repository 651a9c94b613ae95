// A local runtime that serves forecasts: a small simulated fleet's history, delivered, and a
// deployed model. For the integration tests and bench:api (starting one takes a few seconds;
// each caller gets its own, on ephemeral ports, in a temporary directory it removes on close).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../device/fleet.js';
import type { LocalIam } from './iam/local-iam.js';
import { type LocalRuntime, startLocalRuntime } from './runtime.js';
import { quickRuntimeSettings } from './runtime-defaults.js';

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
  /** IAM as the local S3 and SageMaker enforce it (default: the repository's template). */
  iam?: LocalIam;
  /** The runtime's and the simulated fleet's clock (default: the system clock). */
  now?: () => number;
  /** The simulated fleet's readings stamped `t` carry its values of `t + timeOffsetMs`. */
  timeOffsetMs?: number;
  /** The runtime's A/B variant draws (default Math.random). */
  random?: () => number;
}

export const startServingRuntime = async (
  options: ServingRuntimeOptions = {},
): Promise<ServingRuntime> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'smogcast-api-'));
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      ...quickRuntimeSettings(dataDir, API_KEY),
      corsOrigins: options.corsOrigins,
      log: options.log ?? (() => undefined),
      iam: options.iam,
      now: options.now,
      random: options.random,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
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
      now: options.now,
      timeOffsetMs: options.timeOffsetMs,
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

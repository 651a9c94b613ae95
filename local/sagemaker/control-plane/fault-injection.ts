// Fault injection for tests of the deployment guardrails: a model whose model.json carries
//   "faultInjection": { "errorRate": 1, "latencyMs": 0 }
// is hosted normally but fails `errorRate` of its predictions with a model error (HTTP 500 from
// the container, ModelError 424 to the caller) and answers `latencyMs` late. The trainer never
// writes this field; tests add it to a copy of a real artifact, so a canary fails for real
// through the routing, metrics and alarm code.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { SmogcastError } from '../../../core/errors.js';
import { MODEL_FILE } from '../../../forecasting/container/run-training.js';
import { ModelLoadError } from '../../../forecasting/errors.js';

export const FaultInjection = z.object({
  errorRate: z.number().min(0).max(1).default(0),
  latencyMs: z.number().min(0).max(60_000).default(0),
});
export type FaultInjection = z.output<typeof FaultInjection>;

/** The error an injected fault raises inside the model: a container failure, not the caller's. */
export class InjectedModelFault extends SmogcastError {
  constructor() {
    super('injected fault: the model failed to predict (faultInjection.errorRate)');
    this.name = 'InjectedModelFault';
  }
}

/** The model directory's faultInjection field, if it has one. */
export const readFaultInjection = async (modelDir: string): Promise<FaultInjection | undefined> => {
  const json = JSON.parse(await readFile(join(modelDir, MODEL_FILE), 'utf8')) as {
    faultInjection?: unknown;
  };
  if (json.faultInjection === undefined) return undefined;
  const parsed = FaultInjection.safeParse(json.faultInjection);
  if (!parsed.success) {
    throw new ModelLoadError(
      `${MODEL_FILE} has an invalid faultInjection: ${parsed.error.message}`,
    );
  }
  return parsed.data;
};

/** Whether this call fails: `draw` is uniform in [0, 1). */
export const injectsError = (fault: FaultInjection | undefined, draw: () => number): boolean =>
  fault !== undefined && fault.errorRate > 0 && (fault.errorRate >= 1 || draw() < fault.errorRate);

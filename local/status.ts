// GET /status for the local runtime: what a person or a script checks first — devices seen,
// records stored, the last pipeline run and the model the endpoint serves.
import type { APIGatewayProxyResult } from 'aws-lambda';
import { CONTEXT_PREFIX } from '../functions/common/lake.js';
import type { ModelCard } from '../functions/common/model-card.js';
import type { ObjectStore } from '../functions/common/ports.js';
import type { RunRecord } from './run-record.js';

export interface RuntimeCounters {
  /** Telemetry messages the broker's rule saw. */
  received: number;
  /** Records delivered to raw/. */
  stored: number;
  /** Records delivered to errors/ by the rule's error action. */
  errors: number;
  devices: Set<string>;
}

export interface StatusDeps {
  store: ObjectStore;
  counters: RuntimeCounters;
  modelCard: () => Promise<ModelCard | undefined>;
  latestRun: (store: ObjectStore) => Promise<RunRecord | undefined>;
  sagemaker: { describeEndpoint(r: { EndpointName: string }): Promise<Record<string, unknown>> };
  endpointName: string;
}

const endpointState = async (deps: StatusDeps) => {
  try {
    const d = await deps.sagemaker.describeEndpoint({ EndpointName: deps.endpointName });
    return { name: deps.endpointName, status: d.EndpointStatus, config: d.EndpointConfigName };
  } catch {
    return { name: deps.endpointName, status: 'NotDeployed' };
  }
};

export const makeStatusHandler = (deps: StatusDeps) => async (): Promise<APIGatewayProxyResult> => {
  const [contextKeys, card, run, endpoint] = await Promise.all([
    deps.store.list(CONTEXT_PREFIX),
    deps.modelCard(),
    deps.latestRun(deps.store),
    endpointState(deps),
  ]);
  const withContext = contextKeys.map((k) => k.slice(CONTEXT_PREFIX.length).replace(/\.json$/, ''));
  const devices = [...new Set([...deps.counters.devices, ...withContext])].sort();
  const body = {
    devices,
    records: {
      received: deps.counters.received,
      stored: deps.counters.stored,
      errors: deps.counters.errors,
    },
    lastRun: run ?? null,
    model: card
      ? {
          version: card.version,
          variant: card.variant,
          deployedAt: card.deployedAt,
          runId: card.runId,
        }
      : null,
    endpoint,
    generatedAt: new Date().toISOString(),
  };
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  };
};

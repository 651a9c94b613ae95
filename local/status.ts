// GET /status for the local runtime: the Lambda's status (derived from the lake, identical on
// AWS) plus what only the local runtime knows live — the broker's record counters and the
// endpoint as the local SageMaker control plane describes it (variants, weights, a pending
// blue/green deployment, i.e. a canary in flight). The record counters come from the journal
// (journal-counters.ts): durable, and true across restarts and replays.
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ObjectStore } from '../core/ports.js';
import type { CorsPolicy } from '../functions/common/config.js';
import type { ContextReader } from '../functions/common/context-reader.js';
import { cors, httpErrors, jsonResponse } from '../functions/common/http.js';
import { cachedStatus } from '../functions/status/handler.js';

export interface RuntimeCounters {
  /** Telemetry messages the broker's rule saw. */
  received: number;
  /** Records delivered to raw/. */
  stored: number;
  /** Records delivered to errors/ by the rule's error action. */
  errors: number;
  /** Publishes refused at the protocol (over the message size limit). */
  refused: number;
  /** Publishes to a topic no rule selects (acknowledged and forwarded, not stored). */
  unmatched: number;
  /** Payloads the rule could not evaluate (not a JSON object): AWS's rule ParseError. */
  unparsed: number;
  devices: Set<string>;
}

export interface StatusDeps {
  store: ObjectStore;
  contexts: ContextReader;
  counters: RuntimeCounters;
  sagemaker: { describeEndpoint(r: { EndpointName: string }): Promise<unknown> };
  endpointName: string;
  now?: () => number;
  /** How long one read of the lake is reused (the dashboard polls). */
  ttlMs?: number;
  /** The API's CORS policy: the same middlewares as the Lambda's. */
  cors?: CorsPolicy;
}

interface VariantDescription {
  VariantName?: string;
  CurrentWeight?: number;
  DesiredWeight?: number;
}

const endpointState = async (deps: StatusDeps) => {
  try {
    const d = (await deps.sagemaker.describeEndpoint({ EndpointName: deps.endpointName })) as {
      EndpointStatus?: string;
      EndpointConfigName?: string;
      ProductionVariants?: VariantDescription[];
      PendingDeploymentSummary?: { EndpointConfigName?: string };
    };
    return {
      name: deps.endpointName,
      status: d.EndpointStatus ?? 'Unknown',
      config: d.EndpointConfigName ?? null,
      variants: (d.ProductionVariants ?? []).map((v) => ({
        name: v.VariantName ?? '',
        currentWeight: v.CurrentWeight ?? null,
        desiredWeight: v.DesiredWeight ?? null,
      })),
      pendingConfig: d.PendingDeploymentSummary?.EndpointConfigName ?? null,
    };
  } catch {
    return { name: deps.endpointName, status: 'NotDeployed', config: null, variants: [] };
  }
};

export const makeStatusHandler = (deps: StatusDeps) => {
  const now = deps.now ?? Date.now;
  const status = cachedStatus({
    store: deps.store,
    contexts: deps.contexts,
    now,
    ttlMs: deps.ttlMs ?? 1_000,
  });
  const answer = async (): Promise<APIGatewayProxyResult> => {
    const [lake, endpoint] = await Promise.all([status(), endpointState(deps)]);
    const devices = [...new Set([...deps.counters.devices, ...lake.devices])].sort();
    // The endpoint itself knows best whether a rollout is under way right now.
    const canary =
      endpoint.pendingConfig && lake.canary.state !== 'in-flight'
        ? { ...lake.canary, state: 'in-flight' as const, detail: endpoint.pendingConfig }
        : lake.canary;
    return jsonResponse(200, {
      ...lake,
      devices,
      canary,
      records: {
        received: deps.counters.received,
        stored: deps.counters.stored,
        errors: deps.counters.errors,
        refused: deps.counters.refused,
        unmatched: deps.counters.unmatched,
        unparsed: deps.counters.unparsed,
      },
      endpoint,
      generatedAt: new Date(now()).toISOString(),
    });
  };
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(cors(deps.cors ?? { origins: [] }))
    .use(httpErrors())
    .handler(answer);
};

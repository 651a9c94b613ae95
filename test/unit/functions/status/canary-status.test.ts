// /status's canary card: which states of the retrain definition count as a rollout in flight.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RunRecord } from '../../../../functions/status/pipeline-records.js';
import { canaryStatus, DEPLOY_STATES } from '../../../../functions/status/status.js';

const definition = JSON.parse(
  readFileSync(new URL('../../../../state-machines/retrain.asl.json', import.meta.url), 'utf8'),
) as { States: Record<string, unknown> };

const running = (states: string[]) =>
  RunRecord.parse({ runId: 'run-1', status: 'RUNNING', states, version: 'v2' });

describe('canaryStatus', () => {
  it('names only states the retrain definition has', () => {
    const missing = [...DEPLOY_STATES].filter((name) => !(name in definition.States));
    expect(missing).toEqual([]);
  });

  it('covers every state that creates or updates the endpoint', () => {
    const rollout = /:(createEndpoint|updateEndpoint|updateEndpointWeightsAndCapacities)$/;
    const updates = Object.entries(definition.States)
      .filter(([, state]) => rollout.test(String((state as { Resource?: string }).Resource)))
      .map(([name]) => name)
      // the restore path puts the previous config back: that is not a new model rolling out
      .filter((name) => !/Restore/.test(name));
    expect(updates.length).toBeGreaterThan(0);
    for (const name of updates) expect(DEPLOY_STATES.has(name), name).toBe(true);
  });

  it('reports a run inside a strategy update as a rollout in flight', () => {
    const run = running(['Configure', 'Train', 'Evaluate', 'CreateModel', 'UpdateEndpointCanary']);
    expect(canaryStatus([run])).toEqual({
      state: 'in-flight',
      version: 'v2',
      runId: 'run-1',
      detail: 'UpdateEndpointCanary',
    });
  });

  it('passes over a run still training', () => {
    expect(canaryStatus([running(['Configure', 'Train'])]).state).toBe('none');
  });
});

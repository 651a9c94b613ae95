import { describe, expect, it } from 'vitest';
import { progressLine } from '../../../local/progress-line.js';
import type { RuntimeProgress } from '../../../local/runtime.js';

const idle: RuntimeProgress = {
  received: 100,
  stored: 100,
  errors: 1,
  contextPending: 0,
  contextDone: 4,
};

describe('progressLine', () => {
  it('says nothing when nothing moved', () => {
    expect(progressLine(idle, { ...idle }, 5)).toBeUndefined();
  });

  it('gives counts and rates of ingestion, delivery and context updates', () => {
    const line = progressLine(
      idle,
      { ...idle, received: 600, stored: 350, contextPending: 3, contextDone: 9 },
      5,
    );
    expect(line).toBe(
      'ingest: 600 received (100/s), 350 delivered to raw/ (50/s), 1 to errors/ | context: 9 deliveries applied (1/s), 3 waiting',
    );
  });

  it('names the retrain state in progress and for how long', () => {
    const line = progressLine(
      idle,
      { ...idle, retrain: { runId: 'run-1', state: 'RunEtl', seconds: 12.4 } },
      5,
    );
    expect(line).toBe('retrain run-1: in RunEtl for 12 s');
  });
});

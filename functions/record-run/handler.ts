// record-run — the retrain state machine's last step on every path (skipped, promoted, rejected,
// rolled back, failed): run summary, registry entry, serving card.
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { stepHandler } from '../common/step-handler.js';
import { recordLeftoverCanary } from './leftover-canary.js';
import { type RecordRunDeps, recordRun } from './record-run.js';
import { RecordRunInput } from './schema.js';

export const makeHandler = (deps: RecordRunDeps) =>
  stepHandler(RecordRunInput, (input) =>
    input.leftoverCanary
      ? recordLeftoverCanary(input.leftoverCanary, deps)
      : recordRun(input, deps),
  );

export const handler = onFirstInvocation(() =>
  makeHandler({ store: createObjectStore(loadConfig(process.env)), now: Date.now }),
);

// check-canary — the retrain state machine's bake loop step for an engine canary: alarms and
// realised loss in, wait / promote / rollback out.
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { stepHandler } from '../common/step-handler.js';
import { type CheckCanaryDeps, checkCanary } from './check-canary.js';
import { CheckCanaryInput } from './schema.js';

export const makeHandler = (deps: CheckCanaryDeps) =>
  stepHandler(CheckCanaryInput, (input) => checkCanary(input, deps));

export const handler = onFirstInvocation(() =>
  makeHandler({ store: createObjectStore(loadConfig(process.env)), now: Date.now }),
);

// record-run — the retrain state machine's last step on every path (skipped, promoted, rejected,
// rolled back, failed): run summary, registry entry, serving card.
import middy from '@middy/core';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { type RecordRunDeps, recordRun } from './record-run.js';
import { RecordRunInput } from './schema.js';

export const makeHandler = (deps: RecordRunDeps) =>
  middy().handler(async (event: unknown) => recordRun(RecordRunInput.parse(event), deps));

export const handler = makeHandler({
  store: createObjectStore(loadConfig(process.env)),
  now: Date.now,
});

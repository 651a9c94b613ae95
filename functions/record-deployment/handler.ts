// record-deployment — the retrain state machine's last step, after the endpoint serves the model.
import middy from '@middy/core';
import { loadConfig } from '../common/config.js';
import { createObjectStore } from '../common/deps.js';
import { type RecordDeploymentDeps, recordDeployment } from './record-deployment.js';
import { RecordDeploymentInput } from './schema.js';

export const makeHandler = (deps: RecordDeploymentDeps) =>
  middy().handler(async (event: unknown) =>
    recordDeployment(RecordDeploymentInput.parse(event), deps),
  );

export const handler = makeHandler({
  store: createObjectStore(loadConfig(process.env)),
  now: Date.now,
});

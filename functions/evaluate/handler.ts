// evaluate — retrain state machine step after training: promote or reject the challenger.
import middy from '@middy/core';
import { evaluateChallenger } from './evaluate.js';
import { EvaluateInput } from './schema.js';

export const makeHandler = () =>
  middy().handler(async (event: unknown) => evaluateChallenger(EvaluateInput.parse(event)));

export const handler = makeHandler();

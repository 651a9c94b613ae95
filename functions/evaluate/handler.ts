// evaluate — retrain state machine step after training: promote or reject the challenger.
import { stepHandler } from '../common/step-handler.js';
import { evaluateChallenger } from './evaluate.js';
import { EvaluateInput } from './schema.js';

export const makeHandler = () => stepHandler(EvaluateInput, (input) => evaluateChallenger(input));

export const handler = makeHandler();

// evaluate — retrain state machine step after training: promote or reject the challenger, and
// keep rolling-origin backtests of the served models on the run's held-out days.
import { loadConfig } from '../common/config.js';
import { createChampionDeps } from '../common/deps.js';
import { onFirstInvocation } from '../common/lazy-handler.js';
import { logger } from '../common/logger.js';
import { stepHandler } from '../common/step-handler.js';
import { type BacktestDeps, backtestServedModels } from './backtest.js';
import { evaluateCandidates, evaluateChallenger } from './evaluate.js';
import { EvaluateInput } from './schema.js';

/**
 * The decision never waits on the backtest's success: a backtest that fails is logged, and the
 * run decides on the training job's metrics as before.
 */
export const makeHandler = (deps?: BacktestDeps) =>
  stepHandler(EvaluateInput, async (input) => {
    if (deps && input.runId && input.predictionLength) {
      try {
        await backtestServedModels(
          { runId: input.runId, predictionLength: input.predictionLength },
          deps,
        );
      } catch (error) {
        logger.warn('backtest failed', { runId: input.runId, error: String(error) });
      }
    }
    const { candidates } = input;
    return candidates ? evaluateCandidates({ ...input, candidates }) : evaluateChallenger(input);
  });

export const handler = onFirstInvocation(() =>
  makeHandler({ ...createChampionDeps(loadConfig(process.env)), now: Date.now }),
);

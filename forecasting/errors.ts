// Errors of the forecasting engine and its container contracts. Names are literal: the local
// SageMaker stand-in maps them onto `SageMaker.<name>` for Retry/Catch and onto InvokeEndpoint
// error types.
import { SmogcastError } from '../core/errors.js';

/** Bad hyperparameters: the training job fails before reading data, as DeepAR does. */
export class HyperparameterError extends SmogcastError {
  override readonly name = 'HyperparameterError';
}

/** A DeepAR channel file that is not valid JSON Lines of series. */
export class ChannelDataError extends SmogcastError {
  override readonly name = 'ChannelDataError';
}

/** An inference request the model cannot answer (client error, HTTP 400). */
export class ModelRequestError extends SmogcastError {
  /** Widened to string: PayloadTooLargeError refines it. */
  override readonly name: string = 'ModelRequestError';
}

/** A model directory or artifact that cannot be loaded. */
export class ModelLoadError extends SmogcastError {
  override readonly name = 'ModelLoadError';
}

// Errors of the local SageMaker stand-in. Names are literal: the state machine runner maps them
// onto `SageMaker.<name>` for Retry/Catch, and the runtime server onto InvokeEndpoint error types.
import { SmogcastError } from '../../functions/common/errors.js';

/** Bad hyperparameters: the training job fails before reading data, as DeepAR does. */
export class HyperparameterError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HyperparameterError';
  }
}

/** A DeepAR channel file that is not valid JSON Lines of series. */
export class ChannelDataError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ChannelDataError';
  }
}

/** An inference request the model cannot answer (client error, HTTP 400). */
export class ModelRequestError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelRequestError';
  }
}

/** A model directory or artifact that cannot be loaded. */
export class ModelLoadError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** SageMaker's answer to bad API input, unknown resources and duplicates. */
export class ValidationException extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ValidationException';
  }
}

/** A training job that ended in status Failed; the message carries the FailureReason. */
export class TrainingJobFailedError extends SmogcastError {
  constructor(
    readonly trainingJobName: string,
    readonly failureReason: string,
    options?: ErrorOptions,
  ) {
    super(`training job ${trainingJobName} failed: ${failureReason}`, options);
    this.name = 'TrainingJobFailedError';
  }
}

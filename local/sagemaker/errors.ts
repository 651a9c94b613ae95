// Errors of the local SageMaker control plane. Names are literal: the state machine runner maps
// them onto `SageMaker.<name>` for Retry/Catch.
import { SmogcastError } from '../../core/errors.js';

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

// Errors of the local SageMaker control plane. Names are literal: the state machine runner maps
// them onto `SageMaker.<name>` for Retry/Catch.
import { SmogcastError } from '../../core/errors.js';

/** SageMaker's answer to bad API input, unknown resources and duplicates. */
export class ValidationException extends SmogcastError {
  override readonly name = 'ValidationException';
}

/** A training job that ended in status Failed; the message carries the FailureReason. */
export class TrainingJobFailedError extends SmogcastError {
  override readonly name = 'TrainingJobFailedError';

  constructor(
    readonly trainingJobName: string,
    readonly failureReason: string,
    options?: ErrorOptions,
  ) {
    super(`training job ${trainingJobName} failed: ${failureReason}`, options);
  }
}

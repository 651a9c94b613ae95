// Errors with literal names: Step Functions Retry/Catch and the API match on `name`,
// which must survive minification.
export class SmogcastError extends Error {
  override name: string = 'SmogcastError';
}

export class ConfigError extends SmogcastError {
  override readonly name = 'ConfigError';
}

export class NoCuratedDataError extends SmogcastError {
  override readonly name = 'NoCuratedDataError';

  constructor(prefix: string, options?: ErrorOptions) {
    super(`no curated Parquet under ${prefix}`, options);
  }
}

export class NotEnoughDataError extends SmogcastError {
  override readonly name = 'NotEnoughDataError';
}

export class EndpointNotDeployedError extends SmogcastError {
  override readonly name = 'EndpointNotDeployedError';

  constructor(endpointName: string, options?: ErrorOptions) {
    super(`endpoint ${endpointName} is not deployed`, options);
  }
}

/** The model endpoint refused the request as invalid input (a 4xx naming the field). */
export class ModelInputRejectedError extends SmogcastError {
  override readonly name = 'ModelInputRejectedError';
}

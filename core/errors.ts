// Errors with literal names: Step Functions Retry/Catch and the API match on `name`,
// which must survive minification.
export class SmogcastError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SmogcastError';
  }
}

export class ConfigError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

export class NoCuratedDataError extends SmogcastError {
  constructor(prefix: string, options?: ErrorOptions) {
    super(`no curated Parquet under ${prefix}`, options);
    this.name = 'NoCuratedDataError';
  }
}

export class NotEnoughDataError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotEnoughDataError';
  }
}

export class EndpointNotDeployedError extends SmogcastError {
  constructor(endpointName: string, options?: ErrorOptions) {
    super(`endpoint ${endpointName} is not deployed`, options);
    this.name = 'EndpointNotDeployedError';
  }
}

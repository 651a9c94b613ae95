// Errors of the device agent. Literal names survive minification and let callers match on them.
import { SmogcastError } from '../core/errors.js';

/** Bad fleet options (device count, intervals, broker target): caught before anything connects. */
export class FleetConfigError extends SmogcastError {
  override readonly name = 'FleetConfigError';
}

/** A broker URL the local connection cannot use. */
export class BrokerUrlError extends SmogcastError {
  override readonly name = 'BrokerUrlError';

  constructor(url: string, reason: string, options?: ErrorOptions) {
    super(`invalid broker URL ${JSON.stringify(url)}: ${reason}`, options);
  }
}

/** The MQTT connection could not be established. */
export class DeviceConnectError extends SmogcastError {
  override readonly name = 'DeviceConnectError';

  constructor(target: string, options?: ErrorOptions) {
    super(`could not connect to ${target}`, options);
  }
}

/** Wrong command-line flags: the CLI prints the message and exits with code 2. */
export class AgentUsageError extends SmogcastError {
  override readonly name = 'AgentUsageError';
}

/** An MQTT 5 broker answered a publish with a failure reason code (e.g. 135 not authorised). */
export class PublishRejectedError extends SmogcastError {
  override readonly name = 'PublishRejectedError';

  constructor(topic: string, reasonCode: number, reasonString?: string, options?: ErrorOptions) {
    super(
      `publish to ${topic} rejected with reason code ${reasonCode}${reasonString ? `: ${reasonString}` : ''}`,
      options,
    );
  }
}

/** A replay file that is not in the Beijing multi-site CSV format. */
export class ReplayFormatError extends SmogcastError {
  override readonly name = 'ReplayFormatError';

  constructor(file: string, reason: string, options?: ErrorOptions) {
    super(`${file}: ${reason}`, options);
  }
}

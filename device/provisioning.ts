// Registering one sensor with AWS IoT Core, as a pure sequence over a small port (the CLI in
// provision.ts wires it to @aws-sdk/client-iot and the file system): the thing named after the
// device id, an active certificate with its key pair, the stage's device policy attached to the
// certificate, the certificate attached to the thing, and the files the agent needs.
// The device policy only lets a client connect as its own thing and publish to its own topic,
// so the thing name must equal the device id the agent sends.
import { SmogcastError } from '../core/errors.js';

export interface IotPort {
  policyExists(policyName: string): Promise<boolean>;
  createThing(thingName: string): Promise<void>;
  createKeysAndCertificate(): Promise<{
    certificateArn: string;
    certificateId: string;
    certificatePem: string;
    publicKey: string;
    privateKey: string;
  }>;
  attachPolicy(policyName: string, certificateArn: string): Promise<void>;
  attachThingPrincipal(thingName: string, certificateArn: string): Promise<void>;
  /** Removes a certificate created by a run that failed half-way. */
  deleteCertificate(certificateId: string): Promise<void>;
  dataEndpoint(): Promise<string>;
}

export interface FilePort {
  /** Writes a file; `secret` files must be readable by the owner only. */
  write(name: string, content: string, secret?: boolean): Promise<string>;
  rootCa(): Promise<string>;
}

export interface ProvisionInput {
  thingName: string;
  policyName: string;
}

export interface ProvisionResult {
  thingName: string;
  certificateArn: string;
  endpoint: string;
  certPath: string;
  keyPath: string;
  caPath: string;
  envPath: string;
}

export class ProvisionError extends SmogcastError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProvisionError';
  }
}

/** IoT thing names allowed as smogcast device ids (no MQTT wildcards, no slashes). */
export const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;

export const provisionDevice = async (
  input: ProvisionInput,
  iot: IotPort,
  files: FilePort,
): Promise<ProvisionResult> => {
  if (!THING_NAME.test(input.thingName)) {
    throw new ProvisionError(`thing name must match ${THING_NAME.source}: ${input.thingName}`);
  }
  if (!(await iot.policyExists(input.policyName))) {
    throw new ProvisionError(
      `IoT policy ${input.policyName} not found: deploy the stage first (npm run deploy)`,
    );
  }
  await iot.createThing(input.thingName);
  const cert = await iot.createKeysAndCertificate();
  try {
    await iot.attachPolicy(input.policyName, cert.certificateArn);
    await iot.attachThingPrincipal(input.thingName, cert.certificateArn);
    const endpoint = await iot.dataEndpoint();
    const certPath = await files.write('device.pem.crt', cert.certificatePem);
    const keyPath = await files.write('private.pem.key', cert.privateKey, true);
    await files.write('public.pem.key', cert.publicKey);
    const caPath = await files.write('AmazonRootCA1.pem', await files.rootCa());
    const envPath = await files.write(
      'device.env',
      [
        `SMOGCAST_IOT_ENDPOINT=${endpoint}`,
        `SMOGCAST_IOT_CERT=${certPath}`,
        `SMOGCAST_IOT_KEY=${keyPath}`,
        `SMOGCAST_IOT_CA=${caPath}`,
        '',
      ].join('\n'),
    );
    return {
      thingName: input.thingName,
      certificateArn: cert.certificateArn,
      endpoint,
      certPath,
      keyPath,
      caPath,
      envPath,
    };
  } catch (error) {
    // An active certificate nobody holds the key of is a liability: remove it.
    await iot.deleteCertificate(cert.certificateId).catch(() => undefined);
    throw new ProvisionError(`provisioning ${input.thingName} failed, certificate removed`, {
      cause: error,
    });
  }
};

/** The agent's command line for a provisioned thing. */
export const agentCommand = (result: ProvisionResult): string =>
  `npm run device -- --endpoint ${result.endpoint} --cert ${result.certPath} ` +
  `--key ${result.keyPath} --ca ${result.caPath} --client-id ${result.thingName}`;

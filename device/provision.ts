// `npm run device:provision -- --thing <deviceId> [--stage dev] [--region …] [--out-dir …]`:
// registers one sensor with AWS IoT Core of a deployed stage (@aws-sdk/client-iot, credentials
// from the usual AWS chain) and writes the certificate, key, Amazon root CA and a device.env
// the agent reads. Importing this module has no effect; only running it does.

import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeEndpointCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { isEntryPoint } from './entry-point.js';
import {
  agentCommand,
  type FilePort,
  type IotPort,
  ProvisionError,
  provisionDevice,
} from './provisioning.js';

const ROOT_CA_URL = 'https://www.amazontrust.com/repository/AmazonRootCA1.pem';

export const PROVISION_USAGE = `smogcast device provisioning (AWS IoT Core)

Usage: npm run device:provision -- --thing <deviceId> [options]

  --thing <name>      thing name = MQTT client id = device id (required)
  --stage <stage>     deployed stage whose device policy is attached (default dev)
  --policy <name>     IoT policy name (default smogcast-device-<stage>)
  --region <region>   AWS region (default AWS_REGION, then us-east-1)
  --out-dir <dir>     where the files go (default .smogcast/certs/<thing>)
  --ca-file <path>    use this Amazon root CA instead of downloading ${ROOT_CA_URL}
  --help              show this help

Writes device.pem.crt, private.pem.key (mode 600), public.pem.key, AmazonRootCA1.pem and
device.env (SMOGCAST_IOT_* variables), then prints the agent's command line.
`;

const iotAdapter = (client: IoTClient, thingName: string, policyName: string): IotPort => {
  let certificateArn = '';
  return {
    policyExists: async (name) => {
      try {
        await client.send(new GetPolicyCommand({ policyName: name }));
        return true;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return false;
        throw error;
      }
    },
    // Idempotent for an existing thing without attributes.
    createThing: async (name) => {
      await client.send(new CreateThingCommand({ thingName: name }));
    },
    createKeysAndCertificate: async () => {
      const out = await client.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      if (!out.certificateArn || !out.certificateId || !out.certificatePem || !out.keyPair) {
        throw new ProvisionError('CreateKeysAndCertificate returned an incomplete answer');
      }
      certificateArn = out.certificateArn;
      return {
        certificateArn: out.certificateArn,
        certificateId: out.certificateId,
        certificatePem: out.certificatePem,
        publicKey: out.keyPair.PublicKey ?? '',
        privateKey: out.keyPair.PrivateKey ?? '',
      };
    },
    attachPolicy: async (name, target) => {
      await client.send(new AttachPolicyCommand({ policyName: name, target }));
    },
    attachThingPrincipal: async (name, principal) => {
      await client.send(new AttachThingPrincipalCommand({ thingName: name, principal }));
    },
    deleteCertificate: async (certificateId) => {
      // A certificate must be detached and inactive before it can be deleted.
      const quietly = (p: Promise<unknown>) => p.catch(() => undefined);
      await quietly(client.send(new DetachPolicyCommand({ policyName, target: certificateArn })));
      await quietly(
        client.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn })),
      );
      await client.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' }));
      await client.send(new DeleteCertificateCommand({ certificateId }));
    },
    dataEndpoint: async () => {
      const out = await client.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
      if (!out.endpointAddress) throw new ProvisionError('DescribeEndpoint returned no address');
      return out.endpointAddress;
    },
  };
};

const fileAdapter = (outDir: string, caFile: string | undefined): FilePort => ({
  write: async (name, content, secret = false) => {
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    const path = join(outDir, name);
    await writeFile(path, content, { mode: secret ? 0o600 : 0o644 });
    if (secret) await chmod(path, 0o600);
    return path;
  },
  rootCa: async () => {
    if (caFile) return readFile(caFile, 'utf8');
    const response = await fetch(ROOT_CA_URL);
    if (!response.ok) {
      throw new ProvisionError(
        `could not download ${ROOT_CA_URL} (${response.status}); pass --ca-file`,
      );
    }
    return response.text();
  },
});

export const main = async (argv: string[], env = process.env): Promise<number> => {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        thing: { type: 'string' },
        stage: { type: 'string' },
        policy: { type: 'string' },
        region: { type: 'string' },
        'out-dir': { type: 'string' },
        'ca-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n\n${PROVISION_USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(PROVISION_USAGE);
    return 0;
  }
  const thingName = values.thing as string | undefined;
  if (!thingName) {
    process.stderr.write(`error: --thing is required\n\n${PROVISION_USAGE}`);
    return 2;
  }
  const stage = (values.stage as string | undefined) ?? 'dev';
  const policyName = (values.policy as string | undefined) ?? `smogcast-device-${stage}`;
  const region = (values.region as string | undefined) ?? env.AWS_REGION ?? 'us-east-1';
  const outDir = resolve(
    (values['out-dir'] as string | undefined) ?? `.smogcast/certs/${thingName}`,
  );
  try {
    const result = await provisionDevice(
      { thingName, policyName },
      iotAdapter(new IoTClient({ region }), thingName, policyName),
      fileAdapter(outDir, values['ca-file'] as string | undefined),
    );
    process.stdout.write(
      `registered ${result.thingName} (${result.certificateArn}) in ${region}\n` +
        `files in ${outDir}; the private key is readable by you only\n` +
        `${agentCommand(result)}\n` +
        `(or: set -a; . ${result.envPath}; set +a; npm run device -- --client-id ${thingName})\n`,
    );
    return 0;
  } catch (error) {
    const cause = (error as Error).cause;
    process.stderr.write(
      `error: ${(error as Error).message}${cause ? `: ${(cause as Error).message ?? cause}` : ''}\n`,
    );
    return 1;
  }
};

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}

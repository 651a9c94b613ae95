import { describe, expect, it } from 'vitest';
import {
  agentCommand,
  type FilePort,
  type IotPort,
  provisionDevice,
} from '../../../device/provisioning.js';

/** A recording IoT port; `failAt` makes one call fail. */
const fakeIot = (failAt?: string) => {
  const calls: string[] = [];
  const step = async (name: string) => {
    calls.push(name);
    if (name === failAt) throw new Error(`${name} denied`);
  };
  const port: IotPort = {
    policyExists: async (policy) => {
      calls.push(`policyExists ${policy}`);
      return policy !== 'missing';
    },
    createThing: (thing) => step(`createThing ${thing}`),
    createKeysAndCertificate: async () => {
      await step('createKeysAndCertificate');
      return {
        certificateArn: 'arn:cert/1',
        certificateId: 'c1',
        certificatePem: 'CERT',
        publicKey: 'PUB',
        privateKey: 'KEY',
      };
    },
    attachPolicy: (policy, arn) => step(`attachPolicy ${policy} ${arn}`),
    attachThingPrincipal: (thing, arn) => step(`attachThingPrincipal ${thing} ${arn}`),
    deleteCertificate: (id) => step(`deleteCertificate ${id}`),
    dataEndpoint: async () => {
      await step('dataEndpoint');
      return 'abc-ats.iot.eu-west-1.amazonaws.com';
    },
  };
  return { port, calls };
};

const memoryFiles = () => {
  const written = new Map<string, { content: string; secret: boolean }>();
  const port: FilePort = {
    write: async (name, content, secret = false) => {
      written.set(name, { content, secret });
      return `/out/${name}`;
    },
    rootCa: async () => 'ROOT CA',
  };
  return { port, written };
};

describe('provisionDevice', () => {
  it('creates the thing and an active certificate, attaches policy and thing, writes the files', async () => {
    // Prepare
    const iot = fakeIot();
    const files = memoryFiles();
    // Act
    const result = await provisionDevice(
      { thingName: 'sensor-7', policyName: 'smogcast-device-dev' },
      iot.port,
      files.port,
    );
    // Assess
    expect(iot.calls).toEqual([
      'policyExists smogcast-device-dev',
      'createThing sensor-7',
      'createKeysAndCertificate',
      'attachPolicy smogcast-device-dev arn:cert/1',
      'attachThingPrincipal sensor-7 arn:cert/1',
      'dataEndpoint',
    ]);
    expect(files.written.get('private.pem.key')).toEqual({ content: 'KEY', secret: true });
    expect(files.written.get('device.pem.crt')?.content).toBe('CERT');
    expect(files.written.get('AmazonRootCA1.pem')?.content).toBe('ROOT CA');
    expect(files.written.get('device.env')?.content).toContain(
      'SMOGCAST_IOT_ENDPOINT=abc-ats.iot.eu-west-1.amazonaws.com',
    );
    expect(agentCommand(result)).toBe(
      'npm run device -- --endpoint abc-ats.iot.eu-west-1.amazonaws.com --cert /out/device.pem.crt ' +
        '--key /out/private.pem.key --ca /out/AmazonRootCA1.pem --client-id sensor-7',
    );
  });

  it('removes the certificate when a later step fails', async () => {
    const iot = fakeIot('attachThingPrincipal sensor-7 arn:cert/1');
    await expect(
      provisionDevice({ thingName: 'sensor-7', policyName: 'p' }, iot.port, memoryFiles().port),
    ).rejects.toMatchObject({ name: 'ProvisionError' });
    expect(iot.calls.at(-1)).toBe('deleteCertificate c1');
  });

  it('stops before creating anything when the policy is missing or the name is invalid', async () => {
    const iot = fakeIot();
    await expect(
      provisionDevice(
        { thingName: 'sensor-7', policyName: 'missing' },
        iot.port,
        memoryFiles().port,
      ),
    ).rejects.toThrowError(/deploy the stage first/);
    await expect(
      provisionDevice({ thingName: 'a/b', policyName: 'p' }, iot.port, memoryFiles().port),
    ).rejects.toThrowError(/thing name must match/);
    expect(iot.calls).toEqual(['policyExists missing']);
  });
});

describe('device:provision CLI', () => {
  it('prints help and refuses to run without --thing', async () => {
    const { main } = await import('../../../device/provision.js');
    const out: string[] = [];
    const write = (chunk: string | Uint8Array) => out.push(String(chunk)) > 0;
    const stdout = process.stdout.write;
    const stderr = process.stderr.write;
    process.stdout.write = write as typeof process.stdout.write;
    process.stderr.write = write as typeof process.stderr.write;
    try {
      expect(await main(['--help'])).toBe(0);
      expect(await main([])).toBe(2);
    } finally {
      process.stdout.write = stdout;
      process.stderr.write = stderr;
    }
    expect(out.join('')).toContain('Usage: npm run device:provision');
    expect(out.join('')).toContain('--thing is required');
  });
});

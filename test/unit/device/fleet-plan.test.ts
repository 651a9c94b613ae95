import { describe, expect, it } from 'vitest';
import { planFleet } from '../../../device/fleet-plan.js';

const local = { kind: 'local', url: 'mqtt://127.0.0.1:1883' } as const;
const aws = {
  kind: 'aws',
  endpoint: 'abc-ats.iot.eu-west-1.amazonaws.com',
  certPath: 'c.pem',
  keyPath: 'k.pem',
  caPath: 'ca.pem',
} as const;
const base = { broker: local, devices: 3, backfillHours: 6, realtime: true };

describe('planFleet', () => {
  it('gives every device its own connection by default, client id = device id', () => {
    const plan = planFleet(base);
    expect(plan.connections).toEqual([
      { clientId: 'sim-001', deviceIds: ['sim-001'] },
      { clientId: 'sim-002', deviceIds: ['sim-002'] },
      { clientId: 'sim-003', deviceIds: ['sim-003'] },
    ]);
    expect(plan).toMatchObject({ stepMinutes: 15, intervalMs: 15 * 60_000 });
  });

  it('shares connections round-robin locally when capped', () => {
    const plan = planFleet({ ...base, devices: 5, connections: 2 });
    expect(plan.connections).toEqual([
      { clientId: 'fleet-sim-001', deviceIds: ['sim-001', 'sim-003', 'sim-005'] },
      { clientId: 'fleet-sim-002', deviceIds: ['sim-002', 'sim-004'] },
    ]);
  });

  it('uses explicit device ids and an explicit interval', () => {
    const plan = planFleet({ ...base, deviceIds: ['a', 'b'], stepMinutes: 5, intervalMs: 1000 });
    expect(plan.deviceIds).toEqual(['a', 'b']);
    expect(plan).toMatchObject({ stepMinutes: 5, intervalMs: 1000 });
  });

  it('opens one connection per thing on AWS and refuses shared connections', () => {
    expect(planFleet({ ...base, broker: aws }).connections).toHaveLength(3);
    expect(() => planFleet({ ...base, broker: aws, connections: 1 })).toThrow(/one per thing/);
  });

  it('takes a named thing as the single device on AWS', () => {
    const plan = planFleet({ ...base, devices: 1, broker: { ...aws, clientId: 'thing-7' } });
    expect(plan.connections).toEqual([{ clientId: 'thing-7', deviceIds: ['thing-7'] }]);
    expect(() => planFleet({ ...base, broker: { ...aws, clientId: 'thing-7' } })).toThrow(
      /single device/,
    );
  });

  it.each([
    [{ devices: 0 }, /devices must be an integer/],
    [{ devices: 1.5 }, /devices must be an integer/],
    [{ stepMinutes: 0 }, /stepMinutes/],
    [{ backfillHours: -1 }, /backfillHours/],
    [{ intervalMs: 0 }, /intervalMs/],
    [{ deviceIds: [] }, /must not be empty/],
    [{ deviceIds: ['a/b'] }, /device id "a\/b"/],
    [{ deviceIds: ['a', 'a'] }, /unique/],
  ])('rejects %o', (override, message) => {
    expect(() => planFleet({ ...base, ...override })).toThrow(message);
  });

  it('throws a FleetConfigError', () => {
    expect(() => planFleet({ ...base, devices: 0 })).toThrow(
      expect.objectContaining({ name: 'FleetConfigError' }),
    );
  });
});

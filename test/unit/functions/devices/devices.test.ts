import { describe, expect, it } from 'vitest';
import type { FleetDevice } from '../../../../functions/common/context-reader.js';
import { encodeCursor, listDevices } from '../../../../functions/devices/devices.js';
import { devicesQuerySchema } from '../../../../functions/devices/schema.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 25);

const device = (deviceId: string): FleetDevice => ({
  deviceId,
  lat: 50,
  lon: 19,
  posAt: T0,
  lastReadingAt: T0 + HOUR,
  latest: { pm25: { hour: T0, value: 12.5 } },
});

const fleet = ['a-1', 'a-2', 'b-1', 'b-2', 'c-1'].map(device);

describe('listDevices', () => {
  it('pages in id order, the cursor resuming after the last id of a page', () => {
    // Act
    const first = listDevices(fleet, { limit: 2 });
    const second = listDevices(fleet, { limit: 2, after: 'a-2' });
    const last = listDevices(fleet, { limit: 2, after: 'b-2' });

    // Assess
    expect(first.devices.map((d) => d.deviceId)).toEqual(['a-1', 'a-2']);
    expect(first.nextCursor).toBe(encodeCursor('a-2'));
    expect(first.total).toBe(5);
    expect(second.devices.map((d) => d.deviceId)).toEqual(['b-1', 'b-2']);
    expect(last.devices.map((d) => d.deviceId)).toEqual(['c-1']);
    expect(last.nextCursor).toBeNull();
  });

  it('searches ids case-insensitively and keeps the summary fields', () => {
    // Act
    const found = listDevices(fleet, { limit: 10, q: 'B-' });

    // Assess
    expect(found.total).toBe(2);
    expect(found.devices[0]).toEqual({
      deviceId: 'b-1',
      lat: 50,
      lon: 19,
      lastReadingAt: new Date(T0 + HOUR).toISOString(),
      metrics: ['pm25'],
      latest: { pm25: { hour: new Date(T0).toISOString(), value: 12.5 } },
    });
  });
});

describe('devicesQuerySchema', () => {
  const schema = devicesQuerySchema(336);
  const issues = (query: Record<string, string>) => {
    const parsed = schema.safeParse(query);
    return parsed.success ? [] : parsed.error.issues.map((i) => i.message);
  };

  it('reads limit and a cursor back into the device id it names', () => {
    expect(schema.parse({ limit: '25', cursor: encodeCursor('sim-007'), q: 'sim' })).toEqual({
      limit: 25,
      cursor: 'sim-007',
      q: 'sim',
    });
  });

  it('refuses bad paging parameters with a message naming them', () => {
    expect(issues({ limit: '0' })).toEqual(['limit must be 1-1000']);
    expect(issues({ limit: 'x' })).toEqual(['limit must be an integer']);
    expect(issues({ cursor: encodeCursor('<b>') })).toEqual([
      'cursor must be the nextCursor of a previous page',
    ]);
    expect(issues({ q: 'a b' })).toEqual(['q must be 1-128 of [A-Za-z0-9_.:-]']);
    expect(issues({ deviceId: 'sim-001', limit: '5' })).toEqual([
      'limit, cursor and q list the fleet: not with a deviceId',
    ]);
  });
});

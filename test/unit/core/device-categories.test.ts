import { describe, expect, it } from 'vitest';
import { deviceCategory } from '../../../core/device-categories.js';

describe('deviceCategory', () => {
  it("gives a device's position in the model's list, and -1 for a device it was not trained with", () => {
    const devices = ['sim-001', 'sim-002', 'sim-003'];
    expect(deviceCategory(devices, 'sim-001')).toBe(0);
    expect(deviceCategory(devices, 'sim-003')).toBe(2);
    expect(deviceCategory(devices, 'sim-004')).toBe(-1);
  });

  it('agrees with indexOf on a fleet-sized list, duplicates included', () => {
    const devices = Array.from({ length: 10_000 }, (_, i) => `dev-${i % 9_000}`);
    for (const id of ['dev-0', 'dev-8999', 'dev-4500', 'dev-9000', '']) {
      expect(deviceCategory(devices, id)).toBe(devices.indexOf(id));
    }
  });

  it('indexes each list on its own (a new card is not answered from the old one)', () => {
    expect(deviceCategory(['a', 'b'], 'b')).toBe(1);
    expect(deviceCategory(['b', 'a'], 'b')).toBe(0);
  });
});

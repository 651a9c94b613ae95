import { describe, expect, it } from 'vitest';
import {
  gridClusters,
  isInseparable,
  mergeClose,
  zoomBounds,
} from '../../../dashboard/src/cluster.js';
import { boundsOf, projectFleet, projectInto } from '../../../dashboard/src/fleet-map.js';

const grid = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    deviceId: `d-${String(i).padStart(5, '0')}`,
    lat: 50 + (i % 100) / 100,
    lon: 19 + Math.floor(i / 100) / 100,
    value: i % 7,
  }));

describe('gridClusters', () => {
  it('keeps every device in exactly one cluster and bounds the marker count by the grid', () => {
    // Prepare
    const points = projectFleet(grid(10_000), 360, 220);
    // Act
    const clusters = gridClusters(points, 30);
    // Assess
    expect(points).toHaveLength(10_000);
    expect(clusters.reduce((s, c) => s + c.count, 0)).toBe(10_000);
    expect(clusters.length).toBeLessThanOrEqual(Math.ceil(360 / 30) * Math.ceil(220 / 30));
    expect(new Set(clusters.map((c) => c.key)).size).toBe(clusters.length);
  });

  it('gives a cluster its mean position, bounds, largest value and a sorted sample', () => {
    // Prepare
    const points = [
      { deviceId: 'b', lat: 50.1, lon: 19.2, x: 10, y: 10, value: 3 },
      { deviceId: 'a', lat: 50.0, lon: 19.1, x: 20, y: 14, value: 9 },
      { deviceId: 'c', lat: 52.0, lon: 21.0, x: 100, y: 100, value: undefined },
    ];
    // Act
    const [big, single] = gridClusters(points, 32);
    // Assess
    expect(big).toMatchObject({
      count: 2,
      x: 15,
      y: 12,
      deviceId: null,
      sample: ['a', 'b'],
      bounds: { south: 50.0, north: 50.1, west: 19.1, east: 19.2 },
      max: 9,
    });
    expect(single).toMatchObject({ count: 1, deviceId: 'c', max: undefined });
  });

  it('refuses a cell size that is not positive', () => {
    expect(() => gridClusters([], 0)).toThrow(/positive/);
  });
});

describe('mergeClose', () => {
  it('merges markers closer than the distance, keeping every device and the widest bounds', () => {
    // Prepare: two groups straddling a cell edge at x = 28, one far away.
    const points = [
      { deviceId: 'a', lat: 50, lon: 19, x: 26, y: 10, value: 1 },
      { deviceId: 'b', lat: 50.1, lon: 19.1, x: 27, y: 10, value: 2 },
      { deviceId: 'c', lat: 50.2, lon: 19.2, x: 29, y: 10, value: 5 },
      { deviceId: 'd', lat: 53, lon: 22, x: 200, y: 150, value: undefined },
    ];
    const cells = gridClusters(points, 28);
    // Act
    const merged = mergeClose(cells, 20);
    // Assess
    expect(cells).toHaveLength(3);
    expect(merged).toHaveLength(2);
    expect(merged[0]).toMatchObject({
      count: 3,
      deviceId: null,
      x: 27.3,
      sample: ['a', 'b', 'c'],
      bounds: { south: 50, north: 50.2, west: 19, east: 19.2 },
      max: 5,
    });
    expect(merged[1]).toMatchObject({ count: 1, deviceId: 'd' });
    expect(merged.reduce((s, c) => s + c.count, 0)).toBe(4);
  });
});

describe('zoom', () => {
  it('pads a cluster box and knows when devices share one spot', () => {
    const box = { south: 50, north: 50.1, west: 19, east: 19.2 };
    const z = zoomBounds(box, 0.1);
    expect(z.south).toBeCloseTo(49.99);
    expect(z.east).toBeCloseTo(19.22);
    expect(isInseparable(box)).toBe(false);
    expect(isInseparable({ south: 50, north: 50, west: 19, east: 19 })).toBe(true);
  });

  it('projects only the points inside a zoomed box, fitted to the map', () => {
    // Prepare
    const points = grid(10_000);
    const box = { south: 50.2, north: 50.3, west: 19.2, east: 19.3 };
    // Act
    const inside = projectInto(points, box, 360, 220);
    // Assess
    expect(inside.length).toBe(11 * 11);
    for (const p of inside) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.x).toBeLessThanOrEqual(360);
      expect(p.y).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(220);
    }
  });

  it('fits the fleet box, widened for a single device', () => {
    expect(boundsOf([])).toBeNull();
    const one = boundsOf([{ deviceId: 'x', lat: 50, lon: 19 }]);
    expect(one).toEqual({ south: 49.99, north: 50.01, west: 18.99, east: 19.01 });
    const [p] = projectFleet([{ deviceId: 'x', lat: 50, lon: 19 }], 360, 220);
    expect(p).toMatchObject({ x: 180, y: 110 });
  });
});

// Pure grid clustering of projected map points: one marker per occupied cell of `cell` pixels,
// at the mean position of its devices, with their count, geographic bounds (what a click zooms
// to) and the highest value among them (the marker's colour). One pass, O(n): 10,000 points
// become at most (width / cell) × (height / cell) markers.
import type { Bounds } from './fleet-map.js';

export interface ClusterInput {
  deviceId: string;
  lat: number;
  lon: number;
  x: number;
  y: number;
  /** e.g. the latest PM2.5; undefined when unknown. */
  value?: number | undefined;
}

export interface Cluster {
  /** Stable per cell: `cell:<col>:<row>`. */
  key: string;
  x: number;
  y: number;
  count: number;
  /** The device, when the cluster holds one. */
  deviceId: string | null;
  /** Up to `sampleSize` device ids, sorted. */
  sample: string[];
  bounds: Bounds;
  max: number | undefined;
}

export const gridClusters = (
  points: readonly ClusterInput[],
  cell: number,
  sampleSize = 5,
): Cluster[] => {
  if (!(cell > 0)) throw new Error(`cell must be positive, got ${cell}`);
  const cells = new Map<
    string,
    { sx: number; sy: number; ids: string[]; bounds: Bounds; max: number | undefined; n: number }
  >();
  for (const p of points) {
    const key = `cell:${Math.floor(p.x / cell)}:${Math.floor(p.y / cell)}`;
    const c = cells.get(key);
    if (!c) {
      cells.set(key, {
        sx: p.x,
        sy: p.y,
        ids: [p.deviceId],
        bounds: { south: p.lat, north: p.lat, west: p.lon, east: p.lon },
        max: p.value,
        n: 1,
      });
      continue;
    }
    c.sx += p.x;
    c.sy += p.y;
    c.n += 1;
    if (c.ids.length < sampleSize * 4) c.ids.push(p.deviceId);
    if (p.lat < c.bounds.south) c.bounds.south = p.lat;
    if (p.lat > c.bounds.north) c.bounds.north = p.lat;
    if (p.lon < c.bounds.west) c.bounds.west = p.lon;
    if (p.lon > c.bounds.east) c.bounds.east = p.lon;
    if (p.value !== undefined && (c.max === undefined || p.value > c.max)) c.max = p.value;
  }
  const out: Cluster[] = [];
  for (const [key, c] of cells) {
    out.push({
      key,
      x: Math.round((c.sx / c.n) * 10) / 10,
      y: Math.round((c.sy / c.n) * 10) / 10,
      count: c.n,
      deviceId: c.n === 1 ? (c.ids[0] ?? null) : null,
      sample: [...c.ids].sort().slice(0, sampleSize),
      bounds: c.bounds,
      max: c.max,
    });
  }
  // Big clusters first, so single devices draw on top and stay clickable.
  return out.sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
};

/** The box a click on a cluster zooms to: its devices' bounds, padded by `margin` of its span. */
export const zoomBounds = (b: Bounds, margin = 0.15): Bounds => {
  const dLat = Math.max(b.north - b.south, 2e-3) * margin;
  const dLon = Math.max(b.east - b.west, 2e-3) * margin;
  return { south: b.south - dLat, north: b.north + dLat, west: b.west - dLon, east: b.east + dLon };
};

/** A cluster whose devices sit within a few metres: zooming cannot split it any further. */
export const isInseparable = (b: Bounds): boolean =>
  b.north - b.south < 1e-4 && b.east - b.west < 1e-4;

/**
 * Grid cells split groups that straddle a cell edge, leaving markers on top of each other:
 * merges clusters whose centres are closer than `distance` (greedy, biggest first; the merged
 * marker sits at the count-weighted mean). Cheap: it runs on the markers, not the devices.
 */
export const mergeClose = (clusters: readonly Cluster[], distance: number): Cluster[] => {
  const out: Cluster[] = [];
  const sorted = [...clusters].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  for (const c of sorted) {
    const near = out.find((o) => Math.hypot(o.x - c.x, o.y - c.y) < distance);
    if (!near) {
      out.push({ ...c, sample: [...c.sample], bounds: { ...c.bounds } });
      continue;
    }
    const count = near.count + c.count;
    near.x = Math.round(((near.x * near.count + c.x * c.count) / count) * 10) / 10;
    near.y = Math.round(((near.y * near.count + c.y * c.count) / count) * 10) / 10;
    near.count = count;
    near.deviceId = null;
    near.sample = [...near.sample, ...c.sample].sort().slice(0, Math.max(near.sample.length, 5));
    near.bounds = {
      south: Math.min(near.bounds.south, c.bounds.south),
      north: Math.max(near.bounds.north, c.bounds.north),
      west: Math.min(near.bounds.west, c.bounds.west),
      east: Math.max(near.bounds.east, c.bounds.east),
    };
    if (c.max !== undefined && (near.max === undefined || c.max > near.max)) near.max = c.max;
  }
  return out.sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
};

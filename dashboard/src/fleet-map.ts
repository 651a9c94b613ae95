// Pure projection of device positions onto a small SVG map (equirectangular, fitted to a
// bounding box with padding). No tiles: the dashboard runs offline. Loops, not spreads, so a
// 10,000-device fleet projects in one pass.
export interface MapPoint {
  deviceId: string;
  lat: number;
  lon: number;
}

export interface Bounds {
  south: number;
  north: number;
  west: number;
  east: number;
}

/** The smallest box holding every point, widened when it has no extent (one device, a line). */
export const boundsOf = (points: readonly MapPoint[]): Bounds | null => {
  if (points.length === 0) return null;
  let south = Number.POSITIVE_INFINITY;
  let north = Number.NEGATIVE_INFINITY;
  let west = Number.POSITIVE_INFINITY;
  let east = Number.NEGATIVE_INFINITY;
  for (const p of points) {
    if (p.lat < south) south = p.lat;
    if (p.lat > north) north = p.lat;
    if (p.lon < west) west = p.lon;
    if (p.lon > east) east = p.lon;
  }
  if (north - south < 1e-3) [south, north] = [south - 0.01, north + 0.01];
  if (east - west < 1e-3) [west, east] = [west - 0.01, east + 0.01];
  return { south, north, west, east };
};

export const contains = (b: Bounds, p: MapPoint): boolean =>
  p.lat >= b.south && p.lat <= b.north && p.lon >= b.west && p.lon <= b.east;

/** The points inside `bounds`, placed on a width × height map that fits the box. */
export const projectInto = <P extends MapPoint>(
  points: readonly P[],
  bounds: Bounds,
  width: number,
  height: number,
  pad = 24,
): Array<P & { x: number; y: number }> => {
  const { south, north, west, east } = bounds;
  // Longitude degrees shrink with latitude; keep the map's aspect honest.
  const kx = Math.cos((((south + north) / 2) * Math.PI) / 180);
  const spanX = (east - west) * kx;
  const spanY = north - south;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  const out: Array<P & { x: number; y: number }> = [];
  for (const p of points) {
    if (!contains(bounds, p)) continue;
    out.push({
      ...p,
      x: Math.round((offX + (p.lon - west) * kx * scale) * 10) / 10,
      y: Math.round((offY + (north - p.lat) * scale) * 10) / 10,
    });
  }
  return out;
};

/** Every point on a map fitted to the whole fleet. */
export const projectFleet = <P extends MapPoint>(
  points: readonly P[],
  width: number,
  height: number,
  pad = 24,
): Array<P & { x: number; y: number }> => {
  const bounds = boundsOf(points);
  return bounds ? projectInto(points, bounds, width, height, pad) : [];
};

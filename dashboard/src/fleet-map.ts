// Pure projection of device positions onto a small SVG map (equirectangular, fitted to the
// fleet's bounding box with padding). No tiles: the dashboard runs offline.
export interface MapPoint {
  deviceId: string;
  lat: number;
  lon: number;
}

export const projectFleet = (
  points: MapPoint[],
  width: number,
  height: number,
  pad = 24,
): Array<MapPoint & { x: number; y: number }> => {
  if (points.length === 0) return [];
  const lats = points.map((p) => p.lat);
  const lons = points.map((p) => p.lon);
  let [south, north] = [Math.min(...lats), Math.max(...lats)];
  let [west, east] = [Math.min(...lons), Math.max(...lons)];
  // One device, or all on a line: give the box some extent so the projection stays defined.
  if (north - south < 1e-3) [south, north] = [south - 0.01, north + 0.01];
  if (east - west < 1e-3) [west, east] = [west - 0.01, east + 0.01];
  // Longitude degrees shrink with latitude; keep the map's aspect honest.
  const kx = Math.cos((((south + north) / 2) * Math.PI) / 180);
  const spanX = (east - west) * kx;
  const spanY = north - south;
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const offX = (width - spanX * scale) / 2;
  const offY = (height - spanY * scale) / 2;
  return points.map((p) => ({
    ...p,
    x: Math.round((offX + (p.lon - west) * kx * scale) * 10) / 10,
    y: Math.round((offY + (north - p.lat) * scale) * 10) / 10,
  }));
};

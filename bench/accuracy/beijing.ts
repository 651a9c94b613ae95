// The Beijing multi-site air-quality data (UCI PRSA, 12 stations upstream, 8 in the shared copy):
// one gzipped CSV per station, hourly from 2013-03-01 00:00 to 2017-02-28 23:00 (Beijing time,
// used as is), "NA" for missing readings.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** The CSV columns of the six pollutants, in the smogcast metric order used for cat[1]. */
export const METRICS = [
  { column: 'PM2.5', name: 'pm25' },
  { column: 'PM10', name: 'pm10' },
  { column: 'SO2', name: 'so2' },
  { column: 'NO2', name: 'no2' },
  { column: 'CO', name: 'co' },
  { column: 'O3', name: 'o3' },
] as const;

export interface StationSeries {
  station: string;
  /** "YYYY-MM-DD HH:00:00" of index 0. */
  start: string;
  /** metric name -> hourly values, null where missing. */
  values: Record<string, Array<number | null>>;
}

const pad = (n: number) => String(n).padStart(2, '0');

const unquote = (cell: string) => cell.replace(/^"|"$/g, '');

export const parseStationCsv = (text: string): StationSeries => {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const header = (lines[0] ?? '').split(',').map(unquote);
  const col = (name: string) => header.indexOf(name);
  const [year, month, day, hour, station] = ['year', 'month', 'day', 'hour', 'station'].map(col);
  const values: Record<string, Array<number | null>> = {};
  for (const metric of METRICS) values[metric.name] = [];
  let start = '';
  let name = '';
  for (const [i, line] of lines.slice(1).entries()) {
    const cells = line.split(',').map(unquote);
    const at = (index: number | undefined) => cells[index ?? -1] ?? '';
    if (i === 0) {
      start = `${at(year)}-${pad(Number(at(month)))}-${pad(Number(at(day)))} ${pad(Number(at(hour)))}:00:00`;
      name = at(station);
    }
    for (const metric of METRICS) {
      const cell = at(col(metric.column));
      const value = cell === 'NA' || cell === '' ? Number.NaN : Number(cell);
      values[metric.name]?.push(Number.isFinite(value) ? value : null);
    }
  }
  return { station: name, start, values };
};

export const loadBeijing = async (dir: string): Promise<StationSeries[]> => {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.csv.gz')).sort();
  const stations: StationSeries[] = [];
  for (const file of files) {
    const bytes = await readFile(join(dir, file));
    stations.push(parseStationCsv(gunzipSync(bytes).toString('utf8')));
  }
  return stations;
};

/** The DeepAR start string of index `offset` of a series starting at `start` (hourly). */
export const shiftStart = (start: string, offset: number): string => {
  const date = new Date(`${start.replace(' ', 'T')}Z`);
  date.setUTCHours(date.getUTCHours() + offset);
  return date.toISOString().slice(0, 19).replace('T', ' ');
};

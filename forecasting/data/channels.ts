// Reads one DeepAR channel directory (`/opt/ml/input/data/<channel>/` in the container): every
// JSON Lines file in it, plain or gzipped, in name order so training is reproducible.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeSeries } from '../../core/deepar.js';
import { ChannelDataError } from '../errors.js';
import type { Series } from '../model/types.js';

const JSON_FILE = /\.(json|jsonl)(\.gz)?$/;

const listFiles = async (dir: string): Promise<string[]> => {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && !entry.name.startsWith('.'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
};

/** Series of every JSON Lines line; `skipped` names files that are not DeepAR JSON. */
export const parseChannelFile = (name: string, bytes: Uint8Array): Series[] => {
  const text = new TextDecoder().decode(name.endsWith('.gz') ? gunzipSync(bytes) : bytes);
  const series: Series[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ChannelDataError(`${name} line ${index + 1}: not valid JSON`);
    }
    const decoded = decodeSeries(value);
    if (typeof decoded === 'string') {
      throw new ChannelDataError(`${name} line ${index + 1}: ${decoded}`);
    }
    series.push(decoded);
  }
  return series;
};

export interface Channel {
  series: Series[];
  files: string[];
  /** Files present but not JSON Lines (e.g. side files); reported, not read. */
  skipped: string[];
}

/** The channel's series, or undefined when the directory does not exist (optional channel). */
export const readChannel = async (dir: string): Promise<Channel | undefined> => {
  let paths: string[];
  try {
    paths = await listFiles(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const channel: Channel = { series: [], files: [], skipped: [] };
  for (const path of paths) {
    const name = relative(dir, path);
    if (!JSON_FILE.test(name)) {
      channel.skipped.push(name);
      continue;
    }
    channel.files.push(name);
    channel.series.push(...parseChannelFile(name, await readFile(path)));
  }
  return channel;
};

// Reads one run's DeepAR channel and category maps back from the lake: what the drift check
// profiles and the champion is scored on.
import { parseSeriesLine, type Series } from '../../core/deepar.js';
import { deeparRunPrefix } from '../../core/lake.js';
import { Categories } from '../../core/model-card.js';
import type { ObjectStore } from '../../core/ports.js';
import { decodeText, splitLines } from '../../core/text.js';

export const readChannel = async (
  store: ObjectStore,
  runId: string,
  channel: 'train' | 'test',
): Promise<Series[]> => {
  const prefix = `${deeparRunPrefix(runId)}${channel}/`;
  const series: Series[] = [];
  for (const key of await store.list(prefix)) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    for (const line of splitLines(decodeText(bytes))) series.push(parseSeriesLine(line));
  }
  return series;
};

export const readCategories = async (
  store: ObjectStore,
  runId: string,
): Promise<Categories | undefined> => {
  const bytes = await store.get(`${deeparRunPrefix(runId)}categories.json`);
  return bytes ? Categories.parse(JSON.parse(decodeText(bytes))) : undefined;
};

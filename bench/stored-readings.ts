// What a benchmark's lake holds: unique (deviceId, seq) readings under raw/, a batch line
// counting each of its readings. Compared with what the broker acknowledged, it gives `lost`.
import type { ObjectStore } from '../core/ports.js';
import { rawObjectText } from '../core/raw-object.js';
import { splitLines } from '../core/text.js';

export const uniqueStoredReadings = async (store: ObjectStore): Promise<number> => {
  const unique = new Set<string>();
  for (const key of await store.list('raw/')) {
    const bytes = await store.get(key);
    if (!bytes) continue;
    for (const line of splitLines(rawObjectText(bytes))) {
      const record = JSON.parse(line) as {
        deviceId: string;
        seq: number;
        readings?: Array<{ seq: number }>;
      };
      for (const reading of record.readings ?? [record]) {
        unique.add(`${record.deviceId}/${reading.seq}`);
      }
    }
  }
  return unique.size;
};

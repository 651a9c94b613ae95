// One partition's merge, pure: the Parquet files it holds + this run's new rows → one
// de-duplicated, sorted Parquet file. Runs inline or on an ETL worker thread.

import { CuratedBatch } from '../../core/curated/batch.js';
import { CURATED_COLUMN_NAMES } from '../../core/curated/schema.js';
import { forEachRowGroup, parquetRowCount } from '../../core/parquet.js';

export interface MergedPartition {
  bytes: Uint8Array;
  /** Rows in the merged file. */
  total: number;
  /** Of those, rows that came from `incoming` (readings new to the lake). */
  added: number;
  duplicates: number;
}

export const mergePartition = async (
  existing: readonly Uint8Array[],
  incoming: CuratedBatch,
): Promise<MergedPartition> => {
  // Existing rows go first: on a receivedAt tie the stored copy is kept. Sized once, and
  // decoded one row group at a time, so a merge holds the partition about once, not thrice.
  let capacity = incoming.length;
  for (const bytes of existing) capacity += parquetRowCount(bytes);
  const merged = new CuratedBatch(Math.max(1, capacity));
  for (const bytes of existing) {
    await forEachRowGroup(bytes, CURATED_COLUMN_NAMES, (columns) => merged.pushColumns(columns));
  }
  const existingRows = merged.length;
  merged.append(incoming);
  const { order, duplicates } = merged.dedupe();
  let added = 0;
  for (const i of order) if (i >= existingRows) added++;
  return { bytes: merged.encodeFast(order), total: order.length, added, duplicates };
};

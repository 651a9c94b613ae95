// A partition's rows held column-wise in typed arrays (NaN marks null): ~100 bytes per reading
// instead of a ~400-byte object, so the ETL can buffer hundreds of thousands of rows cheaply.
// De-duplication and ordering work on row indices; only the final Parquet encode builds arrays.
import { METRICS } from '../common/metrics.js';
import { type ColumnValues, writeParquet } from '../common/parquet.js';
import { writeCuratedParquet } from './curated-writer.js';
import { CURATED_COLUMNS, type CuratedRow } from './schema.js';

const NUMERIC = ['ts', 'seq', 'lat', 'lon', ...METRICS, 'receivedAt'] as const;
type NumericColumn = (typeof NUMERIC)[number];

/** A batch as structured-clone data; its numeric columns are transferred, not copied. */
export interface TransferableBatch {
  length: number;
  /** Device ids as a small dictionary plus one code per row (far cheaper to clone). */
  devices: string[];
  codes: Int32Array;
  numeric: Record<string, Float64Array>;
}

/** Row group size of curated files: prepare-deepar reads one group at a time. */
export const ROW_GROUP_SIZE = 50_000;

export class CuratedBatch {
  length = 0;
  deviceId: string[] = [];
  readonly numeric = {} as Record<NumericColumn, Float64Array>;
  capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    for (const name of NUMERIC) this.numeric[name] = new Float64Array(capacity);
  }

  private grow(): void {
    this.capacity *= 2;
    for (const name of NUMERIC) {
      const next = new Float64Array(this.capacity);
      next.set(this.numeric[name]);
      this.numeric[name] = next;
    }
  }

  push(row: CuratedRow): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    const n = this.numeric;
    this.deviceId.push(row.deviceId);
    n.ts[i] = row.ts;
    n.seq[i] = row.seq ?? Number.NaN;
    n.lat[i] = row.lat ?? Number.NaN;
    n.lon[i] = row.lon ?? Number.NaN;
    n.o3[i] = row.o3 ?? Number.NaN;
    n.pm25[i] = row.pm25 ?? Number.NaN;
    n.pm10[i] = row.pm10 ?? Number.NaN;
    n.co[i] = row.co ?? Number.NaN;
    n.so2[i] = row.so2 ?? Number.NaN;
    n.no2[i] = row.no2 ?? Number.NaN;
    n.receivedAt[i] = row.receivedAt;
  }

  toTransferable(): { batch: TransferableBatch; transfer: ArrayBuffer[] } {
    const index = new Map<string, number>();
    const codes = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) {
      const id = this.deviceId[i] as string;
      let code = index.get(id);
      if (code === undefined) {
        code = index.size;
        index.set(id, code);
      }
      codes[i] = code;
    }
    const numeric: Record<string, Float64Array> = {};
    for (const name of NUMERIC) numeric[name] = this.numeric[name].slice(0, this.length);
    return {
      batch: { length: this.length, devices: [...index.keys()], codes, numeric },
      transfer: [
        codes.buffer as ArrayBuffer,
        ...Object.values(numeric).map((a) => a.buffer as ArrayBuffer),
      ],
    };
  }

  static fromTransferable(t: TransferableBatch): CuratedBatch {
    const batch = new CuratedBatch(Math.max(1, t.length));
    for (const name of NUMERIC) {
      const column = t.numeric[name];
      if (column) batch.numeric[name] = column.length > 0 ? column : new Float64Array(1);
    }
    batch.capacity = Math.max(1, t.length);
    batch.deviceId = Array.from(t.codes, (code) => t.devices[code] as string);
    batch.length = t.length;
    return batch;
  }

  /** Appends every row of another batch. */
  append(other: CuratedBatch): void {
    while (this.length + other.length > this.capacity) this.grow();
    for (const name of NUMERIC) {
      this.numeric[name].set(other.numeric[name].subarray(0, other.length), this.length);
    }
    for (let i = 0; i < other.length; i++) this.deviceId.push(other.deviceId[i] as string);
    this.length += other.length;
  }

  /** Appends equally long columns as read from a curated Parquet file. */
  pushColumns(columns: Record<string, ColumnValues>): void {
    const ids = columns.deviceId ?? [];
    for (let r = 0; r < ids.length; r++) {
      if (this.length === this.capacity) this.grow();
      const i = this.length++;
      this.deviceId.push(String(ids[r]));
      for (const name of NUMERIC) {
        const value = columns[name]?.[r];
        this.numeric[name][i] = typeof value === 'number' ? value : Number.NaN;
      }
    }
  }

  /**
   * Indices of the unique rows, sorted by (deviceId, ts, seq, receivedAt). Identity is
   * (deviceId, seq), or (deviceId, ts) when seq is null; of duplicates the earliest received
   * wins and, on a tie, the one pushed first (existing curated rows are pushed first).
   */
  dedupe(): { order: Uint32Array; duplicates: number } {
    const { ts, seq, receivedAt } = this.numeric;
    const deviceIndex = new Map<string, number>();
    const bySeq: Array<Map<number, number>> = [];
    const byTs: Array<Map<number, number>> = [];
    const device = new Int32Array(this.length);
    const keep = new Uint8Array(this.length);
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const id = this.deviceId[i] as string;
      let d = deviceIndex.get(id);
      if (d === undefined) {
        d = deviceIndex.size;
        deviceIndex.set(id, d);
        bySeq.push(new Map());
        byTs.push(new Map());
      }
      device[i] = d;
      const s = seq[i] as number;
      const seen = Number.isNaN(s)
        ? (byTs[d] as Map<number, number>)
        : (bySeq[d] as Map<number, number>);
      const key = Number.isNaN(s) ? (ts[i] as number) : s;
      const previous = seen.get(key);
      if (previous === undefined) {
        seen.set(key, i);
        keep[i] = 1;
        kept++;
      } else if ((receivedAt[i] as number) < (receivedAt[previous] as number)) {
        seen.set(key, i);
        keep[previous] = 0;
        keep[i] = 1;
      }
    }
    const names = [...deviceIndex.keys()];
    const sorted = [...names].sort();
    const rankOf = new Int32Array(names.length);
    sorted.forEach((name, rank) => {
      rankOf[deviceIndex.get(name) as number] = rank;
    });
    const order = new Uint32Array(kept);
    let k = 0;
    for (let i = 0; i < this.length; i++) if (keep[i]) order[k++] = i;
    const seqOrder = (i: number): number => {
      const s = seq[i] as number;
      return Number.isNaN(s) ? -1 : s;
    };
    order.sort(
      (a, b) =>
        (rankOf[device[a] as number] as number) - (rankOf[device[b] as number] as number) ||
        (ts[a] as number) - (ts[b] as number) ||
        seqOrder(a) - seqOrder(b) ||
        (receivedAt[a] as number) - (receivedAt[b] as number),
    );
    return { order, duplicates: this.length - kept };
  }

  /** The rows at `order` as one snappy Parquet file of the curated schema. */
  encode(order: Uint32Array): Uint8Array {
    const columns: Record<string, ColumnValues> = {};
    const n = order.length;
    const ids = new Array<string>(n);
    for (let k = 0; k < n; k++) ids[k] = this.deviceId[order[k] as number] as string;
    columns.deviceId = ids;
    for (const name of NUMERIC) {
      const source = this.numeric[name];
      const out = new Array<number | null>(n);
      for (let k = 0; k < n; k++) {
        const value = source[order[k] as number] as number;
        out[k] = Number.isNaN(value) ? null : value;
      }
      columns[name] = out;
    }
    return writeParquet(CURATED_COLUMNS, columns, { rowGroupSize: ROW_GROUP_SIZE });
  }

  /** The same file as encode(), written by the specialised curated writer (the ETL's path). */
  encodeFast(order: Uint32Array): Uint8Array {
    return writeCuratedParquet(this, order, ROW_GROUP_SIZE);
  }

  /** The rows at `order` as objects (tests and small callers). */
  toRows(order: Uint32Array): CuratedRow[] {
    return Array.from(order, (i) => {
      const row = { deviceId: this.deviceId[i] } as Record<string, string | number | null>;
      for (const name of NUMERIC) {
        const value = this.numeric[name][i] as number;
        row[name] = Number.isNaN(value) ? null : value;
      }
      return row as unknown as CuratedRow;
    });
  }
}

// A partition's rows held column-wise in typed arrays (NaN marks null; device ids as codes into
// a small dictionary): ~100 bytes per reading, none of it on the JS heap, so the ETL can buffer
// hundreds of thousands of rows without the garbage collector noticing. De-duplication and
// ordering work on row indices.
import { METRICS } from '../metrics.js';
import { type ColumnValues, writeParquet } from '../parquet.js';
import { CURATED_COLUMNS, type CuratedRow } from './schema.js';
import { writeCuratedParquet } from './writer.js';

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
  /** Device id dictionary: `devices[codes[i]]` is row i's device. */
  devices: string[] = [];
  codes: Int32Array;
  private deviceIndex = new Map<string, number>();
  readonly numeric = {} as Record<NumericColumn, Float64Array>;
  capacity: number;

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.codes = new Int32Array(capacity);
    for (const name of NUMERIC) this.numeric[name] = new Float64Array(capacity);
  }

  private grow(): void {
    this.capacity *= 2;
    const codes = new Int32Array(this.capacity);
    codes.set(this.codes);
    this.codes = codes;
    for (const name of NUMERIC) {
      const next = new Float64Array(this.capacity);
      next.set(this.numeric[name]);
      this.numeric[name] = next;
    }
  }

  /** The code of a device id, added to the dictionary when new. */
  codeOf(id: string): number {
    let code = this.deviceIndex.get(id);
    if (code === undefined) {
      code = this.devices.length;
      this.devices.push(id);
      this.deviceIndex.set(id, code);
    }
    return code;
  }

  deviceAt(i: number): string {
    return this.devices[this.codes[i] as number] as string;
  }

  push(row: CuratedRow): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    const n = this.numeric;
    this.codes[i] = this.codeOf(row.deviceId);
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
    const codes = this.codes.slice(0, this.length);
    const numeric: Record<string, Float64Array> = {};
    for (const name of NUMERIC) numeric[name] = this.numeric[name].slice(0, this.length);
    return {
      batch: { length: this.length, devices: [...this.devices], codes, numeric },
      transfer: [
        codes.buffer as ArrayBuffer,
        ...Object.values(numeric).map((a) => a.buffer as ArrayBuffer),
      ],
    };
  }

  static fromTransferable(t: TransferableBatch): CuratedBatch {
    const batch = new CuratedBatch(1);
    const capacity = Math.max(1, t.length);
    for (const name of NUMERIC) {
      const column = t.numeric[name];
      batch.numeric[name] =
        column && column.length >= capacity ? column : new Float64Array(capacity);
    }
    batch.codes = t.codes.length >= capacity ? t.codes : new Int32Array(capacity);
    batch.capacity = capacity;
    for (const id of t.devices) batch.codeOf(id);
    batch.length = t.length;
    return batch;
  }

  /** Appends every row of another batch. */
  append(other: CuratedBatch): void {
    while (this.length + other.length > this.capacity) this.grow();
    for (const name of NUMERIC) {
      this.numeric[name].set(other.numeric[name].subarray(0, other.length), this.length);
    }
    // Re-code the other batch's devices into this batch's dictionary.
    const remap = Int32Array.from(other.devices, (id) => this.codeOf(id));
    for (let i = 0; i < other.length; i++) {
      this.codes[this.length + i] = remap[other.codes[i] as number] as number;
    }
    this.length += other.length;
  }

  /** Appends equally long columns as read from a curated Parquet file. */
  pushColumns(columns: Record<string, ColumnValues>): void {
    const ids = columns.deviceId ?? [];
    for (let r = 0; r < ids.length; r++) {
      if (this.length === this.capacity) this.grow();
      const i = this.length++;
      this.codes[i] = this.codeOf(String(ids[r]));
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
    const device = this.codes;
    const bySeq = this.devices.map(() => new Map<number, number>());
    const byTs = this.devices.map(() => new Map<number, number>());
    const keep = new Uint8Array(this.length);
    let kept = 0;
    for (let i = 0; i < this.length; i++) {
      const d = device[i] as number;
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
    const sorted = [...this.devices].sort();
    const rankOf = new Int32Array(this.devices.length);
    sorted.forEach((name, rank) => {
      rankOf[this.deviceIndex.get(name) as number] = rank;
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
    for (let k = 0; k < n; k++) ids[k] = this.deviceAt(order[k] as number);
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
      const row = { deviceId: this.deviceAt(i) } as Record<string, string | number | null>;
      for (const name of NUMERIC) {
        const value = this.numeric[name][i] as number;
        row[name] = Number.isNaN(value) ? null : value;
      }
      return row as unknown as CuratedRow;
    });
  }
}

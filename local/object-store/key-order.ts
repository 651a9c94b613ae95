// The order S3 lists keys in: lexicographic by their UTF-8 bytes. JavaScript compares strings
// by UTF-16 code units, which differs for characters above U+FFFF against U+E000..U+FFFF;
// comparing code points is the same as comparing UTF-8 bytes.

/** Negative, zero or positive as `a` sorts before, with or after `b` in UTF-8 byte order. */
export const compareKeys = (a: string, b: string): number => {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (U+D800..U+DFFF) stands for a code point above U+FFFF: it sorts after all
    // other code units, including U+E000..U+FFFF, as its UTF-8 bytes do.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
};

/** A set of keys kept in listing order: binary-search insertion, removal and seeking. */
export class SortedKeys {
  private readonly keys: string[] = [];

  get size(): number {
    return this.keys.length;
  }

  at(index: number): string | undefined {
    return this.keys[index];
  }

  /** Index of the first key that sorts at or after `key` (or after it, when `exclusive`). */
  seek(key: string, exclusive = false): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const order = compareKeys(this.keys[mid] as string, key);
      if (order < 0 || (exclusive && order === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first key at or after `from` that does not start with `prefix`. */
  pastPrefix(prefix: string, from: number): number {
    let lo = from;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const key = this.keys[mid] as string;
      if (key.startsWith(prefix) || compareKeys(key, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(key: string): void {
    const index = this.seek(key);
    if (this.keys[index] !== key) this.keys.splice(index, 0, key);
  }

  delete(key: string): void {
    const index = this.seek(key);
    if (this.keys[index] === key) this.keys.splice(index, 1);
  }

  /** Replaces the content with `keys` (any order), as loading from disk does. */
  reset(keys: Iterable<string>): void {
    this.keys.length = 0;
    this.keys.push(...[...keys].sort(compareKeys));
  }
}

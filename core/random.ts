// Seeded randomness, once for the whole project: sample paths, the DeepAR channel order and the
// benchmarks' data must be reproducible from a seed, so they all draw from this generator.

/**
 * mulberry32: tiny, fast, good enough for Monte Carlo paths and shuffles. Integer seeds are taken
 * modulo 2^32, so a signed and an unsigned seed with the same bits give the same stream.
 */
export const createRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** FNV-1a of a string, to derive a seed from content (a request, a run id). */
export const hashString = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
};

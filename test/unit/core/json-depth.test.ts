import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../../core/json-depth.js';

describe('nestsDeeperThan', () => {
  it('measures objects and arrays, in text and in UTF-8 bytes alike', () => {
    const at = (depth: number) => `${'{"a":['.repeat(depth / 2)}${']}'.repeat(depth / 2)}`;
    expect(nestsDeeperThan(at(MAX_JSON_DEPTH))).toBe(false);
    expect(nestsDeeperThan(at(MAX_JSON_DEPTH + 2))).toBe(true);
    expect(nestsDeeperThan(new TextEncoder().encode(at(MAX_JSON_DEPTH + 2)))).toBe(true);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan('{"a":"[[[[\\"[[[[{{{{"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\\\"}', 1)).toBe(false);
    expect(nestsDeeperThan('{"a":"\\\\","b":[]}', 1)).toBe(true);
  });

  it('scans a 10-million-level text without a stack overflow', () => {
    expect(nestsDeeperThan('['.repeat(10_000_000), 9_999_999)).toBe(true);
    expect(nestsDeeperThan('[]'.repeat(1_000_000), 1)).toBe(false);
  });
});

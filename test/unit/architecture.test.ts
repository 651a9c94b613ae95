// The layout's rules, checked on the real import graph: contracts at the bottom (core/), the
// engine apart from where it runs (forecasting/), one folder per deployed step (functions/),
// the stand-ins only in local/, and no cycles anywhere.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SOURCE_DIRS = ['core', 'functions', 'forecasting', 'glue', 'local', 'device', 'dashboard'];
const ALL_DIRS = [...SOURCE_DIRS, 'deploy', 'bench', 'test'];

const tsFiles = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));

const SPECIFIER = /(?:from|import)\s*\(?\s*'(\.\.?\/[^']+)'/g;

/** file → the repository files it imports (relative specifiers only, `.js` read as `.ts`). */
const importGraph = (): Map<string, string[]> => {
  const graph = new Map<string, string[]>();
  for (const file of ALL_DIRS.flatMap(tsFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(SPECIFIER)]
      .map((m) => normalize(join(dirname(file), m[1] ?? '')).replace(/\.js$/, '.ts'))
      .filter((target) => target.endsWith('.ts'));
    graph.set(file, targets);
  }
  return graph;
};

/** Strongly connected components with more than one file, or a file importing itself. */
const cycles = (graph: Map<string, string[]>): string[][] => {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, indices.get(w) ?? 0));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
};

const top = (file: string): string => file.split('/')[0] ?? '';
const stepOf = (file: string): string | undefined =>
  file.startsWith('functions/') ? file.split('/')[1] : undefined;

/** Every import from `from` files whose target breaks `allowed`, as "a → b". */
const violations = (
  graph: Map<string, string[]>,
  from: (file: string) => boolean,
  allowed: (file: string, target: string) => boolean,
): string[] =>
  [...graph]
    .filter(([file]) => from(file))
    .flatMap(([file, targets]) =>
      targets.filter((t) => !allowed(file, t)).map((t) => `${file} → ${t}`),
    );

describe('the import graph', () => {
  const graph = importGraph();

  it('reads the whole tree', () => {
    expect(graph.size).toBeGreaterThan(200);
    expect(graph.get('functions/forecast/handler.ts')?.length).toBeGreaterThan(0);
  });

  it('has no cycles', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the contracts at the bottom: core/ imports only core/', () => {
    expect(
      violations(
        graph,
        (f) => top(f) === 'core',
        (_f, t) => top(t) === 'core',
      ),
    ).toEqual([]);
  });

  it('keeps the engine apart from where it runs: forecasting/ imports only itself and core/', () => {
    const ok = (_f: string, t: string) => top(t) === 'forecasting' || top(t) === 'core';
    expect(violations(graph, (f) => top(f) === 'forecasting', ok)).toEqual([]);
  });

  it('never imports a step from another step under functions/', () => {
    const ok = (f: string, t: string) =>
      top(t) !== 'functions' || stepOf(t) === 'common' || stepOf(t) === stepOf(f);
    expect(violations(graph, (f) => top(f) === 'functions', ok)).toEqual([]);
  });

  it('imports the stand-ins only from local/, deploy/, bench/ and test/', () => {
    const ok = (_f: string, t: string) => top(t) !== 'local';
    const deployed = (f: string) => !['local', 'deploy', 'bench', 'test'].includes(top(f));
    expect(violations(graph, deployed, ok)).toEqual([]);
  });

  it('imports the deploy tooling (deploy/) only from itself and test/', () => {
    const ok = (f: string, t: string) => top(t) !== 'deploy' || ['deploy', 'test'].includes(top(f));
    expect(violations(graph, () => true, ok)).toEqual([]);
  });

  it('imports test/ only from test/', () => {
    const ok = (_f: string, t: string) => top(t) !== 'test';
    expect(violations(graph, (f) => top(f) !== 'test', ok)).toEqual([]);
  });

  it('finds a cycle when there is one', () => {
    const toy = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(cycles(toy)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});

// No module of src/ imports itself, directly or through others: every import, type-only and
// dynamic ones included, points down a layering a reader can follow from the top (cli, app) to
// the bottom (graph/op.ts). A cycle only works through the load order (which module ran first),
// as the engine's op modules once did.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative module specifiers `file` imports or re-exports, statically or with import(). */
function specifiers(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles.map((f) => f.fileName).filter((s) => s.startsWith('.'));
}

/** The file an ESM specifier (`./x.js`, `./dir/index.js`) names, as TypeScript resolves it. */
function resolveImport(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), join(target, 'index.ts'), target]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve import '${specifier}'`);
}

function importGraph(files: readonly string[]): Map<string, string[]> {
  const inside = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiers(file)
      .filter((s) => !s.endsWith('.json') && !s.endsWith('.css'))
      .map((s) => resolveImport(file, s))
      .filter((t) => inside.has(t));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** One cycle through each strongly connected group of modules (Tarjan), as a path a → … → a. */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || (graph.get(v) ?? []).includes(v)) groups.push(group);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return groups.map((group) => cycleWithin(graph, new Set(group)));
}

/** A shortest path from the group's first module back to itself through the group (breadth first). */
function cycleWithin(graph: ReadonlyMap<string, readonly string[]>, group: ReadonlySet<string>): string[] {
  const start = [...group].sort()[0];
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!group.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = parent.get(u)!) path.splice(1, 0, u);
        return [...path, start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error('cycleWithin: the group has no cycle (internal error)');
}

test('the cycle finder reports a cycle as a path, and nothing for a layering', () => {
  const layered = new Map([
    ['cli', ['model', 'graph']],
    ['model', ['graph']],
    ['graph', []],
  ]);
  assert.deepEqual(findCycles(layered), []);
  const cyclic = new Map([
    ['elementwise', ['reduce']],
    ['reduce', ['elementwise', 'shape']],
    ['shape', ['reduce']],
    ['self', ['self']],
  ]);
  assert.deepEqual(
    findCycles(cyclic)
      .map((c) => c.join(' → '))
      .sort(),
    ['elementwise → reduce → elementwise', 'self → self'],
  );
});

test('no import cycle in src/', () => {
  const graph = importGraph(sourceFiles(join(ROOT, 'src')));
  assert.ok(graph.size > 100, `only ${graph.size} modules found under src/`);
  const cycles = findCycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(' → '));
  assert.deepEqual(cycles, [], `import cycles:\n  ${cycles.join('\n  ')}`);
});

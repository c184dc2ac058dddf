// The rooms of lct and what each may import (docs/architecture.md), checked on the
// source: every import, export-from, require() and import() of every .ts file under
// src/ and cli/, type-only ones included.
//   - src/core imports only src/core, node:assert, node:crypto and decimal.js;
//   - src/ never imports cli/, fixtures/, bench/ or test/;
//   - src/machinery never imports src/batch (the batch uses the machinery, not the
//     other way round);
//   - no cycle anywhere in src/ and cli/.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';

// Compiled to dist/test/architecture: the sources are three levels up.
const ROOT = path.join(__dirname, '..', '..', '..');

/** The module specifiers a TypeScript source imports, in order of appearance. */
export function specifiersOf(source: string): string[] {
  // Comments go first, so that an example in a comment is not an import.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: { at: number; spec: string }[] = [];
  const patterns = [
    // import x from '...'; import type { x } from '...'; export { x } from '...'; export * from '...'
    /(?:^|[\n;])\s*(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,
    // import '...' (for its effects)
    /(?:^|[\n;])\s*import\s*['"]([^'"]+)['"]/g,
    // require('...'), import('...') (also in a type position)
    /\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of code.matchAll(re)) found.push({ at: m.index ?? 0, spec: m[1]! });
  }
  return found.sort((a, b) => a.at - b.at).map((f) => f.spec);
}

/** Every cycle's members (strongly connected components of more than one module, or a module importing itself). */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const p = path.posix.join(dir, e.name);
    if (e.isDirectory()) return sourcesUnder(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** A relative specifier of `from` as a repository path (`src/core/types.ts`), or null when no such file exists. */
function resolve(from: string, spec: string): string | null {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const candidate of [base, `${base}.ts`, `${base}/index.ts`]) {
    if (candidate.endsWith('.ts') && fs.existsSync(path.join(ROOT, candidate))) return candidate;
  }
  return null;
}

interface Edge {
  from: string;
  /** A repository path for a relative import; the specifier itself for a package or a node builtin. */
  to: string;
  local: boolean;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of [...sourcesUnder('src'), ...sourcesUnder('cli')]) {
    for (const spec of specifiersOf(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
      if (!spec.startsWith('.')) {
        edges.push({ from: file, to: spec, local: false });
        continue;
      }
      const to = resolve(file, spec);
      assert.ok(to !== null, `${file}: import '${spec}' names no source file`);
      edges.push({ from: file, to, local: true });
    }
  }
  return edges;
}

const room = (file: string): string => {
  const parts = file.split('/');
  return parts[0] === 'src' ? `src/${parts[1]}` : parts[0]!;
};

describe('the import graph', () => {
  const edges = importEdges();

  test('is read whole: every room, its imports of each kind', () => {
    assert.ok(edges.length > 200, `only ${edges.length} imports found`);
    const has = (from: string, to: string) => edges.some((e) => e.from === from && e.to === to);
    assert.ok(has('src/batch/run.ts', 'src/machinery/tonight.ts'), 'a value import');
    assert.ok(has('src/batch/run.ts', 'src/core/reports.ts'), 'a type-only import');
    assert.ok(has('src/core/clearing.ts', 'src/core/ledger.ts'), 'an export-from');
    assert.ok(has('src/files/codec.ts', 'protobufjs'), 'a require()');
    for (const r of ['src/core', 'src/files', 'src/store', 'src/machinery', 'src/batch', 'src/inquiry', 'cli']) {
      assert.ok(
        edges.some((e) => room(e.from) === r),
        `no import read from ${r}`,
      );
    }
  });

  test('src/core imports only src/core, node:assert, node:crypto and decimal.js', () => {
    const allowed = new Set(['node:assert', 'node:crypto', 'decimal.js']);
    const bad = edges.filter((e) => room(e.from) === 'src/core' && (e.local ? room(e.to) !== 'src/core' : !allowed.has(e.to)));
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  test('src/ never imports cli/, fixtures/, bench/ or test/', () => {
    const bad = edges.filter((e) => e.from.startsWith('src/') && e.local && !e.to.startsWith('src/'));
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  test('src/machinery never imports src/batch', () => {
    const bad = edges.filter((e) => room(e.from) === 'src/machinery' && e.local && room(e.to) === 'src/batch');
    assert.deepEqual(
      bad.map((e) => `${e.from} -> ${e.to}`),
      [],
    );
  });

  test('has no cycle in src/ and cli/, type-only imports included', () => {
    const graph = new Map<string, string[]>();
    for (const e of edges) {
      if (!graph.has(e.from)) graph.set(e.from, []);
      if (e.local) graph.get(e.from)!.push(e.to);
    }
    assert.deepEqual(cyclesOf(graph), []);
  });
});

describe('the checker itself', () => {
  test('reads every form of import, and none in a comment', () => {
    const source = [
      "import fs from 'node:fs';",
      "import type { A } from './a';",
      'import {',
      '  b,',
      '  type C,',
      "} from '../b';",
      "export { d } from './d';",
      "export * from './e';",
      "import './f';",
      "const g = require('g');",
      "type H = import('./h').H;",
      "// import { x } from './commented';",
      "/* require('./also-commented') */",
      "const url = 'http://example.org'; // require('./after-a-string')",
    ].join('\n');
    assert.deepEqual(specifiersOf(source), ['node:fs', './a', '../b', './d', './e', './f', 'g', './h']);
  });

  test('finds a cycle, a self-import, and nothing in a tree', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    assert.deepEqual(cyclesOf(graph), [['a', 'b', 'c'], ['e']]);
    assert.deepEqual(
      cyclesOf(
        new Map([
          ['a', ['b', 'c']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
      [],
    );
  });
});

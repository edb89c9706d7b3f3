/**
 * The plugin's layers, read from its sources (issue 21): index → http → adapter → engine → store,
 * and http talks to the engine only — it may name the stores' types, never call a store.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../plugin/src');
const filesOf = (folder: string) => fs.readdirSync(path.join(SRC, folder)).filter((f) => f.endsWith('.ts')).map((f) => path.join(folder, f));
const source = (file: string) => fs.readFileSync(path.join(SRC, file), 'utf8');

/** The modules a file imports for their values (`import type` left out). */
function valueImports(file: string): string[] {
  const imports: string[] = [];
  for (const match of source(file).matchAll(/^import\s+(type\s+)?[^'"]*from\s+'([^']+)'/gm)) {
    if (!match[1]) imports.push(match[2]);
  }
  return imports;
}

describe('plugin layering', () => {
  it('http/ never calls a store: no value import of store/, no engine.store', () => {
    for (const file of filesOf('http')) {
      expect(valueImports(file).filter((m) => m.includes('/store/')), file).toEqual([]);
      expect(source(file), file).not.toMatch(/\.store\./);
    }
  });

  it('engine/ and store/ know nothing of AdminForth, the adapter or the HTTP API', () => {
    for (const file of [...filesOf('engine'), ...filesOf('store')]) {
      const wrong = valueImports(file).filter((m) => m === 'adminforth' || m.includes('/adapter/') || m.includes('/http/') || m.endsWith('/index.js'));
      expect(wrong, file).toEqual([]);
    }
  });

  it('index.ts is wiring: at most 200 lines, no store and no engine class of its own making', () => {
    const index = source('index.ts');
    expect(index.split('\n').length).toBeLessThanOrEqual(200);
    expect(valueImports('index.ts').filter((m) => m.includes('/store/'))).toEqual([]);
    // The engine is made in one place (adapter/runtime.ts), and the jobs' rows written in one (adapter/job-rows.ts).
    expect(index).not.toMatch(/new Engine\(|\.create\(\{|Field\]:/);
  });
});

describe('no import loop between engine modules', () => {
  it('engine/*.ts import each other without a cycle (types included)', () => {
    const graph = new Map<string, string[]>();
    for (const file of filesOf('engine')) {
      const deps = [...source(file).matchAll(/^import\s+(?:type\s+)?[^'"]*from\s+'\.\/([^']+)\.js'/gm)].map((m) => `engine/${m[1]}.ts`);
      graph.set(file, deps);
    }
    const cycles: string[] = [];
    const visit = (file: string, stack: string[]) => {
      if (stack.includes(file)) {
        cycles.push([...stack.slice(stack.indexOf(file)), file].join(' → '));
        return;
      }
      for (const dep of graph.get(file) ?? []) visit(dep, [...stack, file]);
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});

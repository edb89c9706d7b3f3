#!/usr/bin/env node
// The af-jobs launcher. The published package runs its build (dist/main.js: plain JavaScript, no
// TypeScript at run time). A checkout of the repository has src/ instead of a build: there it runs
// the TypeScript sources through tsx (a devDependency), so the CLI works straight after `npm ci`.
// Everything else starts in src/main.ts.
import { existsSync } from 'node:fs';

const source = new URL('../src/main.ts', import.meta.url);
let entry = '../dist/main.js';
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = source.href;
}
const { main } = await import(entry);
await main();

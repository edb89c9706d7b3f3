// Builds the af-jobs CLI that npm ships (`npm run build`, run by `prepack`): dist/main.js and the
// chunks its commands load lazily, plain ESM JavaScript with every dependency bundled in, so an
// install pulls nothing else and no TypeScript runs at start-up (bin/af-jobs.js imports it).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'src/main.ts' },
  outdir: dist,
  bundle: true,
  // Commands are `import()`ed when they run (src/program.ts): each becomes a chunk, so
  // `af-jobs --help` loads commander and the command tree only.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Not minified and no source maps: a stack trace (--verbose) reads as it is, and the package
  // stays small.
  legalComments: 'linked',
  metafile: true,
  // ws loads these native speed-ups only if they are installed.
  external: ['bufferutil', 'utf-8-validate'],
  // Bundled CommonJS dependencies (commander, ejs, recast, ...) `require()` Node's built-ins.
  banner: { js: "import { createRequire as __afJobsCreateRequire } from 'node:module'; const require = __afJobsCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

const outputs = Object.entries(result.metafile.outputs).filter(([file]) => file.endsWith('.js'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`af-jobs: built dist/main.js and ${outputs.length - 1} chunks, ${(bytes / 1024).toFixed(0)} KiB of JavaScript`);

// Builds what the package ships (`npm run build`, run by `prepack`): dist/index.js and
// dist/testing.js (ESM, with source maps), their bundled declarations, and dist/custom/.
//
// Bundled rather than compiled file by file, because AdminForth looks for a plugin's components
// in `<dir of the entry file>/custom` (contract §1.1), so the entry must be dist/index.js with
// dist/custom beside it, and the server shares custom/payloads.ts with the admin UI, which a
// `tsc` with rootDir src/ cannot emit into that layout. The two entries share one chunk, so
// `UnrecoverableError` from the main entry is the class the `/testing` entry's engine checks.
// The declarations are bundled too: only what the public API reaches is in them, so no internal
// type (engine, stores, database drivers) ships.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
const entries = { index: 'src/index.ts', testing: 'src/testing.ts' };
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

fs.rmSync(dist, { recursive: true, force: true });

// 1. JavaScript. Dependencies and the `adminforth` peer stay imports; only this package's own
// files are bundled.
await esbuild.build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: dist,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  sourcesContent: true,
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
  // Keep class names: AdminForth identifies a plugin by `constructor.name` (contract §1.2).
  keepNames: true,
});

// 2. Declarations: tsc writes one .d.ts per file into a temporary folder, rollup-plugin-dts
// follows the imports from the two entries and writes what they reach.
const declarations = fs.mkdtempSync(path.join(os.tmpdir(), 'af-jobs-plugin-dts-'));
try {
  const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', declarations], { stdio: 'inherit' });
  const bundle = await rollup({
    input: Object.fromEntries(Object.keys(entries).map((name) => [name, path.join(declarations, 'src', `${name}.d.ts`)])),
    plugins: [dts({ respectExternal: false })],
    external: (id) => !id.startsWith('.') && !path.isAbsolute(id),
  });
  await bundle.write({ dir: dist, format: 'es', chunkFileNames: 'chunks/[name]-[hash].d.ts' });
  await bundle.close();
} finally {
  fs.rmSync(declarations, { recursive: true, force: true });
}

// 3. The admin UI's components, beside the entry as AdminForth expects them.
fs.cpSync(path.join(root, 'custom'), path.join(dist, 'custom'), { recursive: true });

const files = fs.readdirSync(dist, { recursive: true }).filter((f) => !fs.statSync(path.join(dist, f)).isDirectory());
console.log(`${pkg.name}@${pkg.version}: built ${files.length} files into dist/`);

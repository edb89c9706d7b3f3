/**
 * Builds the admin page (vite-config.ts) once and reuses it: the output directory holds a
 * `build-key` file, a SHA-256 over every source file the page is built from (PAGE_SOURCES: path
 * and content) and the versions of the build tools in node_modules. A start whose key matches
 * serves what is there (about 20 ms of hashing); any change to a source, or an `npm ci` that
 * brings other tool versions, builds again.
 *
 * The build goes to a sibling directory that is renamed into place, so a demo already serving the
 * old build never sees half a build, and two starts at once both end up with a whole one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../aliases.js';
import { PAGE_SOURCES, pageViteConfig } from './vite-config.js';

/** Where the demo serves the admin page from (gitignored). */
export const ADMIN_UI_DIR = path.join(ROOT, '.tmp', 'admin-ui');

const KEY_FILE = 'build-key';
const TOOLS = ['vite', '@vitejs/plugin-vue', 'vue', 'vue-i18n', 'tailwindcss', 'postcss'];

function filesUnder(entry: string): string[] {
  const stat = fs.statSync(entry);
  if (stat.isFile()) return [entry];
  return fs.readdirSync(entry).flatMap((name) => filesUnder(path.join(entry, name)));
}

/** The key a build of the current sources and tools gets. */
export function buildKey(): string {
  const hash = createHash('sha256');
  for (const file of PAGE_SOURCES.flatMap(filesUnder).sort()) {
    hash.update(`${path.relative(ROOT, file)}\0`).update(fs.readFileSync(file)).update('\0');
  }
  for (const tool of TOOLS) {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', tool, 'package.json'), 'utf8'));
    hash.update(`${tool}@${manifest.version}\0`);
  }
  return hash.digest('hex');
}

function keyOf(dir: string): string | null {
  try {
    return fs.readFileSync(path.join(dir, KEY_FILE), 'utf8').trim();
  } catch {
    return null;
  }
}

export interface AdminUiBuild {
  dir: string;
  /** false: the previous build matched the sources and was kept. */
  built: boolean;
  ms: number;
}

/** Builds the admin page into `dir` unless the build there is of the same sources. */
export async function buildAdminUi(dir = ADMIN_UI_DIR): Promise<AdminUiBuild> {
  const started = Date.now();
  const key = buildKey();
  if (keyOf(dir) === key) return { dir, built: false, ms: Date.now() - started };

  const fresh = `${dir}.build-${process.pid}`;
  fs.rmSync(fresh, { recursive: true, force: true });
  // Loaded only when a build is needed: vite and the Vue compiler take a second to import.
  const { build } = await import('vite');
  await build(pageViteConfig(fresh));
  fs.writeFileSync(path.join(fresh, KEY_FILE), `${key}\n`);

  const old = `${dir}.old-${process.pid}`;
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  try {
    fs.renameSync(fresh, dir);
  } catch (error) {
    // Another start renamed its build in first: keep it if it is of the same sources.
    if (keyOf(dir) !== key) throw error;
    fs.rmSync(fresh, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return { dir, built: true, ms: Date.now() - started };
}

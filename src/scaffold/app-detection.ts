/**
 * Finds the AdminForth app in a folder and what the scaffold needs to know about it: the file
 * exporting `admin = new AdminForth({...})` (contract §6: `index.ts`, else another `.ts` file),
 * its data sources and their databases, the folders for resources, custom components and job
 * handlers, the import style, Prisma, and the package manager.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProjectError } from '../errors.js';
import { findAdminConfig, getProperty, imports, objectProperty, stringProperty, unwrap, type AdminConfig } from './ast/queries.js';
import { SourceFile } from './ast/source-file.js';
import { evaluate, readDataSources, type DataSourceInfo } from './data-sources.js';
import { EnvFiles } from './env-files.js';
import { readPrisma, type PrismaInfo } from './prisma.js';

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface AppInfo {
  /** Absolute path of the app folder. */
  root: string;
  /** The app file, relative to root (`index.ts`). */
  appFile: string;
  /** The parsed app file, for edits. */
  source: SourceFile;
  admin: AdminConfig;
  dataSources: DataSourceInfo[];
  usersResourceId: string;
  usernameField: string;
  /** Where resource files live, relative to root (`resources`). */
  resourcesDir: string;
  /** The custom components folder (`custom`), relative to root. */
  customDir: string;
  /** The handlers index (`jobs/index.ts`), relative to root. */
  handlersIndex: string;
  /** Suffix of relative imports in the app: `.js` (create-app, NodeNext), `.ts` or none. */
  importSuffix: string;
  /** The admin's base URL when it is a literal (for messages), else null. */
  baseUrl: string | null;
  prisma: PrismaInfo | null;
  packageManager: PackageManager;
}

const ADMIN_EXPORT = /\bexport\s+(?:const|let|var)\s+admin\b|\bexport\s*\{[^}]*\badmin\b[^}]*\}/;

function candidateFiles(root: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch (error) {
    throw new ProjectError(`Cannot read the folder ${root}: ${(error as Error).message}. Pass the app folder with --dir.`, { cause: error });
  }
  const others = names.filter((name) => /\.(ts|mts)$/.test(name) && !/\.d\.ts$|\.test\.ts$|\.spec\.ts$/.test(name) && name !== 'index.ts').sort();
  return [...(names.includes('index.ts') ? ['index.ts'] : []), ...others];
}

function displayDir(root: string, cwd: string): string {
  const relative = path.relative(cwd, root);
  return relative === '' ? './' : relative.startsWith('..') || path.isAbsolute(relative) ? root : `./${relative}`;
}

function importSuffixOf(source: SourceFile): string {
  const relative = imports(source).map((entry) => entry.source).filter((s) => s.startsWith('.'));
  if (relative.some((s) => s.endsWith('.js'))) return '.js';
  if (relative.some((s) => s.endsWith('.ts'))) return '.ts';
  if (relative.length > 0) return '';
  return '.js';
}

/** The folder of the modules imported for the identifiers listed in `resources`. */
function resourcesDirOf(source: SourceFile, admin: AdminConfig): string {
  const list = admin.config ? unwrap(getProperty(admin.config, 'resources')?.value) : null;
  if (list?.type === 'ArrayExpression') {
    const listed = new Set(list.elements.flatMap((e) => (e?.type === 'Identifier' ? [e.name] : [])));
    for (const entry of imports(source)) {
      if (!entry.source.startsWith('.')) continue;
      if ([...entry.names.keys()].some((name) => listed.has(name))) {
        return path.posix.normalize(path.posix.dirname(entry.source));
      }
    }
  }
  return 'resources';
}

/** The module `registerJobHandlers` is imported from, if the app already imports it. */
function handlersIndexOf(source: SourceFile, appDir: string): string {
  for (const entry of imports(source)) {
    if ([...entry.names.values()].includes('registerJobHandlers') && entry.source.startsWith('.')) {
      const withoutSuffix = entry.source.replace(/\.(js|ts|mjs|mts)$/, '');
      return path.posix.normalize(path.posix.join(appDir, `${withoutSuffix}.ts`));
    }
  }
  return path.posix.join(appDir, 'jobs/index.ts');
}

function packageManagerOf(root: string): PackageManager {
  const has = (file: string) => fs.existsSync(path.join(root, file));
  try {
    const declared = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).packageManager;
    const name = typeof declared === 'string' ? declared.split('@')[0] : '';
    if (name === 'npm' || name === 'pnpm' || name === 'yarn' || name === 'bun') return name;
  } catch {
    // no package.json, or not JSON: go by lock files
  }
  if (has('pnpm-lock.yaml') || has('pnpm-workspace.yaml')) return 'pnpm';
  if (has('yarn.lock')) return 'yarn';
  if (has('bun.lockb') || has('bun.lock')) return 'bun';
  return 'npm';
}

/** Finds the app in `root` or throws a ProjectError that says what was looked for. */
export function detectApp(root: string, cwd: string): AppInfo {
  const where = displayDir(root, cwd);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new ProjectError(`No folder ${where}: pass the folder of your AdminForth app with --dir.`);
  }
  const looked = 'looked for index.ts, or another .ts file in it, exporting `admin = new AdminForth({...})`';
  for (const appFile of candidateFiles(root)) {
    const text = fs.readFileSync(path.join(root, appFile), 'utf8');
    if (!ADMIN_EXPORT.test(text)) continue;
    const source = new SourceFile(appFile, text);
    const admin = findAdminConfig(source);
    if (!admin) continue;
    if (!admin.config) {
      throw new ProjectError(
        `${appFile} passes something other than an object literal to new AdminForth(...), so af-jobs cannot read or edit its config. ` +
          'Pass the config as an object literal (or a top-level `const config = {...}`), or set the plugin up by hand (see the plugin README).',
      );
    }
    const env = new EnvFiles(root);
    const auth = objectProperty(admin.config, 'auth');
    const customization = objectProperty(admin.config, 'customization');
    const appDir = path.posix.dirname(appFile);
    const customDir = (customization && stringProperty(customization, 'customComponentsDir')) ?? 'custom';
    return {
      root,
      appFile,
      source,
      admin,
      dataSources: readDataSources(getProperty(admin.config, 'dataSources')?.value ?? null, source, env),
      usersResourceId: (auth && stringProperty(auth, 'usersResourceId')) ?? 'adminuser',
      usernameField: (auth && stringProperty(auth, 'usernameField')) ?? 'email',
      resourcesDir: path.posix.join(appDir, resourcesDirOf(source, admin)),
      customDir: path.posix.normalize(path.posix.join(appDir, customDir)).replace(/\/$/, ''),
      handlersIndex: handlersIndexOf(source, appDir),
      importSuffix: importSuffixOf(source),
      baseUrl: evaluate(getProperty(admin.config, 'baseUrl')?.value ?? null, source, env)?.value ?? null,
      prisma: readPrisma(root),
      packageManager: packageManagerOf(root),
    };
  }
  throw new ProjectError(`No AdminForth app found in ${where} (${looked}): run inside your admin project or pass --dir.`);
}

/** A relative import specifier from `fromFile` to `toFile` (paths relative to the app root). */
export function importPath(fromFile: string, toFile: string, suffix: string): string {
  let relative = path.posix.relative(path.posix.dirname(fromFile), toFile).replace(/\.ts$/, suffix);
  if (!relative.startsWith('.')) relative = `./${relative}`;
  return relative;
}

/**
 * Adds the plugin to the app's package.json `dependencies`, keeping the file's indentation,
 * key order (the new key goes before the first key that sorts after it, as npm would place it)
 * and final newline.
 */
import { ProjectError } from '../errors.js';
// The plugin this CLI scaffolds is the one it was built with: the build inlines its version (the
// published CLI has no plugin/ folder), the sources read it from plugin/package.json.
import pluginPackage from '../../plugin/package.json' with { type: 'json' };

/** The plugin package the scaffold installs, and the range written for it. */
export const PLUGIN_PACKAGE = pluginPackage.name;

/** `^<version>` of the plugin this CLI was built with, e.g. `^2.0.0`. */
export function pluginVersionRange(): string {
  return `^${pluginPackage.version}`;
}

/** The new package.json text, or null when the package is already a dependency. */
export function addDependency(text: string, name: string, range: string, file = 'package.json'): string | null {
  let json: Record<string, any>;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ProjectError(`${file} is not valid JSON (${(error as Error).message}); fix it and run again.`, { cause: error });
  }
  for (const field of ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies']) {
    if (json[field] && typeof json[field] === 'object' && name in json[field]) return null;
  }
  // Before the first key that sorts after it; the others keep their order.
  const entries = Object.entries((json.dependencies ?? {}) as Record<string, string>);
  const at = entries.findIndex(([key]) => key.localeCompare(name) > 0);
  entries.splice(at === -1 ? entries.length : at, 0, [name, range]);
  json.dependencies = Object.fromEntries(entries);
  const indent = /^[ \t]+(?=")/m.exec(text)?.[0] ?? '  ';
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const out = JSON.stringify(json, null, indent).replace(/\n/g, eol);
  return /\r?\n$/.test(text) ? out + eol : out;
}

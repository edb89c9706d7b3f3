/**
 * Edit: `import <name> from '<source>'` (default or named). An import of the same module (with
 * or without its `.js` / `.ts` suffix) that already binds the name is reused; its local name is
 * returned either way.
 */
import { imports } from '../ast/queries.js';
import { insertImport } from '../ast/insert.js';
import { statementCode } from '../ast/snippet.js';
import type { SourceFile } from '../ast/source-file.js';

export interface ImportSpec {
  source: string;
  /** `default`, or the exported name. */
  imported: string;
  /** The local name to use when adding the import. */
  local: string;
  /** Add it as `import type` (a type used only in annotations and type arguments). */
  typeOnly?: boolean;
}

const withoutSuffix = (source: string) => source.replace(/\.(js|ts|mjs|mts)$/, '');

/** Finds the local name the file already uses for `spec`, if it imports it. */
export function findImported(file: SourceFile, spec: Pick<ImportSpec, 'source' | 'imported'>): string | null {
  for (const entry of imports(file)) {
    if (withoutSuffix(entry.source) !== withoutSuffix(spec.source)) continue;
    for (const [local, imported] of entry.names) if (imported === spec.imported) return local;
  }
  return null;
}

/** Adds the import unless present; returns the local name. */
export function addImport(file: SourceFile, spec: ImportSpec): string {
  const existing = findImported(file, spec);
  if (existing) return existing;
  const binding = spec.imported === 'default' ? spec.local : spec.imported === spec.local ? `{ ${spec.local} }` : `{ ${spec.imported} as ${spec.local} }`;
  insertImport(file, statementCode(`import ${spec.typeOnly ? 'type ' : ''}${binding} from ${JSON.stringify(spec.source)};`, file.style));
  return spec.local;
}

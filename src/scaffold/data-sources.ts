/**
 * The app's data sources (`dataSources: [{ id, url }]`, contract §5) and the database each one
 * uses, told by the URL scheme. URLs are usually `process.env.DATABASE_URL` (create-app writes
 * `` `${process.env.DATABASE_URL}` ``), so variables are looked up in the app's `.env*` files.
 */
import type * as t from '@babel/types';
import type { EnvFiles } from './env-files.js';
import { stringProperty, topLevelVariable, unwrap } from './ast/queries.js';
import type { SourceFile } from './ast/source-file.js';

/** Databases the plugin stores jobs in (design D2). */
export const SUPPORTED_DATABASES = ['sqlite', 'postgres', 'mysql'] as const;
export type DatabaseKind = (typeof SUPPORTED_DATABASES)[number];

export interface DataSourceInfo {
  id: string;
  /** The resolved URL, when it could be worked out. */
  url: string | null;
  /** Where the URL came from, for messages: `DATABASE_URL in .env.local`. */
  urlOrigin: string;
  /** The URL's scheme (`sqlite`, `postgres`, `mongodb`, ...), or null when unknown. */
  scheme: string | null;
  /** The database, when it is one the plugin supports. */
  kind: DatabaseKind | null;
}

export function databaseOfScheme(scheme: string | null): DatabaseKind | null {
  if (scheme === 'sqlite') return 'sqlite';
  if (scheme === 'postgres' || scheme === 'postgresql') return 'postgres';
  if (scheme === 'mysql') return 'mysql';
  return null;
}

interface Resolved {
  value: string;
  origin: string[];
}

/** Evaluates the few shapes a URL expression takes; null when it cannot. */
export function evaluate(node: t.Node | null, file: SourceFile, env: EnvFiles, depth = 0): Resolved | null {
  const expression = unwrap(node);
  if (!expression || depth > 5) return null;
  switch (expression.type) {
    case 'StringLiteral':
      return { value: expression.value, origin: [] };
    case 'TemplateLiteral': {
      let value = '';
      const origin: string[] = [];
      for (let i = 0; i < expression.quasis.length; i++) {
        value += expression.quasis[i]!.value.cooked ?? '';
        const inner = expression.expressions[i];
        if (inner) {
          const part = evaluate(inner, file, env, depth + 1);
          if (!part) return null;
          value += part.value;
          origin.push(...part.origin);
        }
      }
      return { value, origin };
    }
    case 'MemberExpression': {
      // process.env.NAME / process.env['NAME']
      const object = expression.object;
      if (object.type !== 'MemberExpression' || object.object.type !== 'Identifier' || object.object.name !== 'process') return null;
      if (object.property.type !== 'Identifier' || object.property.name !== 'env') return null;
      const name =
        expression.property.type === 'Identifier' && !expression.computed ? expression.property.name
        : expression.property.type === 'StringLiteral' ? expression.property.value
        : null;
      if (!name) return null;
      const found = env.get(name);
      return found ? { value: found.value, origin: [`${name} in ${found.file}`] } : null;
    }
    case 'LogicalExpression':
      return evaluate(expression.left, file, env, depth + 1) ?? evaluate(expression.right, file, env, depth + 1);
    case 'Identifier': {
      const variable = topLevelVariable(file, expression.name);
      return variable ? evaluate(variable.init, file, env, depth + 1) : null;
    }
    default:
      return null;
  }
}

/** Reads `dataSources` from the config object; entries that are not object literals are skipped. */
export function readDataSources(dataSources: t.Node | null, file: SourceFile, env: EnvFiles): DataSourceInfo[] {
  const list = unwrap(dataSources);
  if (!list || list.type !== 'ArrayExpression') return [];
  const found: DataSourceInfo[] = [];
  for (const element of list.elements) {
    const entry = unwrap(element);
    if (!entry || entry.type !== 'ObjectExpression') continue;
    const id = stringProperty(entry, 'id');
    if (!id) continue;
    const urlProperty = entry.properties.find((p) => p.type === 'ObjectProperty' && p.key.type === 'Identifier' && p.key.name === 'url');
    const resolved = urlProperty && urlProperty.type === 'ObjectProperty' ? evaluate(urlProperty.value, file, env) : null;
    const scheme = resolved ? (/^([a-z][a-z0-9+.-]*):/i.exec(resolved.value)?.[1]?.toLowerCase() ?? null) : null;
    found.push({
      id,
      url: resolved?.value ?? null,
      urlOrigin: resolved ? (resolved.origin.length ? resolved.origin.join(', ') : file.path) : 'unknown',
      scheme,
      kind: databaseOfScheme(scheme),
    });
  }
  return found;
}

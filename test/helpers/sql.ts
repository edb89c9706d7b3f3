/**
 * One way for tests to run a parameterised query on any of the three drivers: `?` placeholders
 * (turned into `$1, $2, ...` for pg), rows back as plain objects.
 */
import type { DbKind } from './databases.js';

export async function query<T = Record<string, any>>(kind: DbKind, client: any, sql: string, params: unknown[] = []): Promise<T[]> {
  switch (kind) {
    case 'sqlite': {
      const stmt = client.prepare(sql);
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      return [];
    }
    case 'postgres': {
      let n = 0;
      const result = await client.query(sql.replace(/\?/g, () => `$${++n}`), params);
      return result.rows as T[];
    }
    case 'mysql': {
      const [rows] = await client.query(sql, params);
      return Array.isArray(rows) ? (rows as T[]) : [];
    }
  }
}

/** The kind of a data-source URL. */
export function kindOfUrl(url: string): DbKind {
  if (url.startsWith('sqlite://')) return 'sqlite';
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  if (url.startsWith('mysql://')) return 'mysql';
  throw new Error(`Unknown database URL ${url}`);
}

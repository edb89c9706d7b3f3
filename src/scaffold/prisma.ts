/**
 * Prisma in a create-app project (contract §5): `schema.prisma` beside `index.ts` (or
 * `prisma/schema.prisma`), a `datasource` with the provider, and the package.json scripts
 * `makemigration` / `migrate:local`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { databaseOfScheme, type DatabaseKind } from './data-sources.js';

export interface PrismaInfo {
  /** Relative to the app root. */
  schemaFile: string;
  /** The datasource provider as written (`sqlite`, `postgresql`, `mysql`, ...). */
  provider: string | null;
  database: DatabaseKind | null;
}

const SCHEMA_FILES = ['schema.prisma', 'prisma/schema.prisma'];

export function readPrisma(root: string): PrismaInfo | null {
  for (const schemaFile of SCHEMA_FILES) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(root, schemaFile), 'utf8');
    } catch {
      continue;
    }
    const provider = /datasource\s+\w+\s*\{[^}]*?\bprovider\s*=\s*"([^"]+)"/s.exec(text)?.[1] ?? null;
    return { schemaFile, provider, database: databaseOfScheme(provider) };
  }
  return null;
}

/** Whether the schema already has a model for `table` (by model name or `@@map("table")`). */
export function hasModelFor(schema: string, table: string): boolean {
  const models = schema.matchAll(/^\s*model\s+(\w+)\s*\{([^}]*)\}/gm);
  for (const [, name, body] of models) {
    const mapped = /@@map\(\s*(?:name\s*:\s*)?"([^"]+)"\s*\)/.exec(body!)?.[1];
    if ((mapped ?? name) === table) return true;
  }
  return false;
}

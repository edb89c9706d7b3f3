/**
 * The `adminuser` table and resource of a create-app project (contract §5), without vitest
 * imports, so child processes (test/helpers/replica.ts) can use them too.
 */
import { randomUUID } from 'node:crypto';
import { AdminForthDataTypes, type AdminForthResourceInput } from 'adminforth';
import type { DbKind } from './databases.js';

/** The `adminuser` table of a create-app project (contract §5), per database kind. */
export const ADMINUSER_TABLE_SQL: Record<DbKind, string> = {
  sqlite: `CREATE TABLE adminuser (
    id VARCHAR(255) PRIMARY KEY, email VARCHAR(255) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(255) NOT NULL, created_at DATETIME NOT NULL)`,
  postgres: `CREATE TABLE adminuser (
    id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL, created_at TIMESTAMP(3) NOT NULL)`,
  mysql: `CREATE TABLE adminuser (
    id VARCHAR(191) PRIMARY KEY, email VARCHAR(191) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL,
    role VARCHAR(191) NOT NULL, created_at DATETIME(3) NOT NULL)`,
};

/** The `adminuser` resource of a create-app project, minus the UI-only bits. */
export function adminUserResource(): AdminForthResourceInput {
  return {
    dataSource: 'maindb',
    table: 'adminuser',
    resourceId: 'adminuser',
    label: 'Admin Users',
    columns: [
      { name: 'id', primaryKey: true, fillOnCreate: () => randomUUID() },
      // create-app's username column: trimmed and lowercased on write and at login (contract §3.2).
      { name: 'email', isUnique: true, required: true, normalize: (value: unknown) => String(value).trim().toLowerCase() },
      { name: 'password_hash', backendOnly: true },
      { name: 'role', enum: [{ value: 'superadmin' }, { value: 'user' }] },
      { name: 'created_at', type: AdminForthDataTypes.DATETIME, fillOnCreate: () => new Date().toISOString() },
    ],
  };
}


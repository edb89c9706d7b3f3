/**
 * Personal API tokens of the HTTP API (docs/http-api.md "Tokens"), in the plugin-owned table
 * `af_bj_tokens` of the jobs resource's database, reached through the connector's client
 * (contract §2: better-sqlite3 `Database`, `pg.Pool`, mysql2 pool). Only the SHA-256 of a token is
 * stored. The table uses portable SQL, one shape on every database; a tiny per-kind runner hides
 * the drivers' differences (placeholders, result shapes).
 */
import type { StoreKind } from './job-store.js';

export interface TokenRow {
  id: string;
  userPk: string;
  name: string;
  /** The first characters of the token, to tell tokens apart in a list. */
  prefix: string;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface NewToken {
  id: string;
  userPk: string;
  name: string;
  hash: string;
  prefix: string;
  createdAt: number;
  expiresAt: number | null;
}

/** `?` placeholders in, driver-specific execution out. */
interface SqlRunner {
  all(sql: string, params: unknown[]): Promise<Record<string, any>[]>;
  /** Returns the number of rows changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

function runnerFor(kind: StoreKind, client: any): SqlRunner {
  switch (kind) {
    case 'sqlite':
      return {
        all: async (sql, params) => client.prepare(sql).all(...params),
        run: async (sql, params) => client.prepare(sql).run(...params).changes,
      };
    case 'postgres': {
      const numbered = (sql: string) => { let n = 0; return sql.replace(/\?/g, () => `$${++n}`); };
      return {
        all: async (sql, params) => (await client.query(numbered(sql), params)).rows,
        run: async (sql, params) => (await client.query(numbered(sql), params)).rowCount ?? 0,
      };
    }
    case 'mysql':
      return {
        all: async (sql, params) => (await client.query(sql, params))[0],
        run: async (sql, params) => (await client.query(sql, params))[0].affectedRows ?? 0,
      };
    default:
      throw new Error(`background-jobs: personal tokens are not supported on '${kind}' databases`);
  }
}

const COLUMNS = 'id, user_pk, name, prefix, created_at, expires_at, last_used_at';

function fromRaw(raw: Record<string, any>): TokenRow {
  const time = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: String(raw.id), userPk: String(raw.user_pk), name: String(raw.name), prefix: String(raw.prefix),
    createdAt: Number(raw.created_at), expiresAt: time(raw.expires_at), lastUsedAt: time(raw.last_used_at),
  };
}

/** The table, made by the job store's numbered migrations (sqlite/postgres/mysql-migrations.ts). */
export class TokenStore {
  private readonly sql: SqlRunner;

  constructor(kind: StoreKind, client: unknown) {
    this.sql = runnerFor(kind, client);
  }

  async insert(token: NewToken): Promise<void> {
    await this.sql.run(
      'INSERT INTO af_bj_tokens (id, user_pk, name, token_hash, prefix, created_at, expires_at, last_used_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
      [token.id, token.userPk, token.name, token.hash, token.prefix, token.createdAt, token.expiresAt],
    );
  }

  async findByHash(hash: string): Promise<TokenRow | null> {
    const rows = await this.sql.all(`SELECT ${COLUMNS} FROM af_bj_tokens WHERE token_hash = ?`, [hash]);
    return rows[0] ? fromRaw(rows[0]) : null;
  }

  async listForUser(userPk: string): Promise<TokenRow[]> {
    const rows = await this.sql.all(`SELECT ${COLUMNS} FROM af_bj_tokens WHERE user_pk = ? ORDER BY created_at DESC, id`, [userPk]);
    return rows.map(fromRaw);
  }

  /** Deletes the user's token; false when the user has no token with that id. */
  async revoke(userPk: string, id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM af_bj_tokens WHERE id = ? AND user_pk = ?', [id, userPk])) > 0;
  }

  async touch(id: string, now: number): Promise<void> {
    await this.sql.run('UPDATE af_bj_tokens SET last_used_at = ? WHERE id = ?', [now, id]);
  }
}

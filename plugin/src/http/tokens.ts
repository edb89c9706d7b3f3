/**
 * Personal API tokens, for the CLI and CI where a password login does not fit (two-factor login,
 * CI runners): `tokens/create` (login session only; the token is shown once), `tokens/list` (no
 * secrets), `tokens/revoke`. A token acts as the user who minted it, under the same policy; only
 * its SHA-256 is stored (store/token-store.ts). Users see and revoke their own tokens only.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { IHttpServer } from 'adminforth';
import type { TokenRow } from '../store/token-store.js';
import { ApiError } from './errors.js';
import type { ApiContext } from './context.js';
import { registerApiEndpoint } from './endpoint.js';
import { TOKEN_PREFIX, hashToken } from './authenticate.js';

const DAY_MS = 24 * 3600_000;
/** Characters of the token kept in clear, to tell tokens apart in a list. */
const SHOWN_PREFIX_LENGTH = TOKEN_PREFIX.length + 6;

export const createTokenSchema = z.object({
  /** What the token is for, e.g. "CI deploy". */
  name: z.string().trim().min(1).max(100)
    // Control and formatting characters (NUL, right-to-left overrides, zero-width joiners) could
    // make a name print as another in the CLI's tables.
    .regex(/^[^\p{Cc}\p{Cf}]*$/u, 'must not contain control or formatting characters (such as NUL or a right-to-left override)'),
  /** The token stops working after this many days; no expiry when absent. */
  expiresInDays: z.number().int().min(1).max(3650).optional(),
}).strict();

export const listTokensSchema = z.object({}).strict();

export const revokeTokenSchema = z.object({
  id: z.string().regex(/^tok_[0-9a-f]{16}$/, "must be a token id like 'tok_0123456789abcdef'"),
}).strict();

function describe(token: TokenRow) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: token.id, name: token.name, prefix: token.prefix,
    createdAt: iso(token.createdAt), expiresAt: iso(token.expiresAt), lastUsedAt: iso(token.lastUsedAt),
  };
}

export function registerTokenEndpoints(server: IHttpServer, ctx: ApiContext, base: string): void {
  registerApiEndpoint(server, ctx, {
    path: `${base}/tokens/create`,
    schema: createTokenSchema,
    auth: 'cookie',
    description: 'Mint a personal API token for the logged-in user (shown once)',
    handler: async ({ body, caller }) => {
      const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
      const now = Date.now();
      const token = {
        id: `tok_${randomBytes(8).toString('hex')}`,
        userPk: String(caller.adminUser.pk),
        name: body.name,
        hash: hashToken(secret),
        prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
        createdAt: now,
        expiresAt: body.expiresInDays === undefined ? null : now + body.expiresInDays * DAY_MS,
      };
      await (await ctx.tokens()).insert(token);
      return { token: secret, ...describe({ ...token, lastUsedAt: null }) };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/tokens/list`,
    schema: listTokensSchema,
    description: "The caller's personal tokens, without their secrets",
    handler: async ({ caller }) => {
      const tokens = await (await ctx.tokens()).listForUser(String(caller.adminUser.pk));
      return { tokens: tokens.map(describe) };
    },
  });

  registerApiEndpoint(server, ctx, {
    path: `${base}/tokens/revoke`,
    schema: revokeTokenSchema,
    description: 'Revoke one of the caller’s personal tokens; it stops working at once',
    handler: async ({ body, caller }) => {
      const revoked = await (await ctx.tokens()).revoke(String(caller.adminUser.pk), body.id);
      if (!revoked) throw new ApiError('NOT_FOUND', `Token ${body.id} not found among your tokens.`, 'id');
      return { id: body.id, revoked: true };
    },
  });
}

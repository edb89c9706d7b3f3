/**
 * `af-jobs token revoke <id|name>`: revokes one of the user's personal tokens (`tokens/revoke`);
 * it stops working at once. A name is looked up in `tokens/list` and must name exactly one token.
 */
import type { Context } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { connect } from '../client/session.js';
import { printJson, printJsonLine } from '../output/format.js';

export interface TokenRevokeOptions {
  token: string;
}

const TOKEN_ID = /^tok_[0-9a-f]{16}$/;

export async function run(opts: TokenRevokeOptions, ctx: Context): Promise<void> {
  if (opts.token.startsWith('afjobs_')) {
    throw new UsageError('af-jobs token revoke takes the token\'s id (tok_…) or name, not the token itself: see af-jobs token list.');
  }
  const session = await connect(ctx);
  let id = opts.token;
  let name: string | undefined;
  if (!TOKEN_ID.test(id)) {
    const matches = (await session.jobs.listTokens()).filter((token) => token.name === opts.token);
    if (matches.length === 0) {
      throw new NotFoundError(`No token named "${opts.token}" among your tokens on ${session.target.url}: see af-jobs token list.`);
    }
    if (matches.length > 1) {
      throw new UsageError(`${matches.length} of your tokens are named "${opts.token}" (${matches.map((t) => t.id).join(', ')}): revoke one by its id.`);
    }
    [id, name] = [matches[0]!.id, matches[0]!.name];
  }
  const result = await session.jobs.revokeToken(id);
  if (ctx.output === 'json') printJson(ctx, result);
  else if (ctx.output === 'jsonl') printJsonLine(ctx, result);
  ctx.info(`Token ${id}${name ? ` ("${name}")` : ''} is revoked: it stops working at once.`);
}

/**
 * `af-jobs token list`: the logged-in user's personal tokens (`tokens/list`), without their
 * secrets: a table on a terminal, tab-separated when piped, `-o json|jsonl`.
 */
import type { Context } from '../context.js';
import { connect } from '../client/session.js';
import { formatDate, printJson, printJsonLine } from '../output/format.js';
import { printTable } from '../output/table.js';

export async function run(_opts: object, ctx: Context): Promise<void> {
  const session = await connect(ctx);
  const tokens = await session.jobs.listTokens();
  if (ctx.output === 'json') return printJson(ctx, tokens);
  if (ctx.output === 'jsonl') {
    for (const token of tokens) printJsonLine(ctx, token);
    return;
  }
  if (tokens.length === 0) {
    ctx.info(`You have no personal tokens on ${session.target.url}: mint one with af-jobs token create.`);
    return;
  }
  const tty = ctx.stdoutIsTTY;
  printTable(ctx, [
    { header: 'ID', cell: (t) => t.id },
    { header: 'NAME', cell: (t) => t.name },
    { header: 'PREFIX', cell: (t) => `${t.prefix}…`, plain: (t) => t.prefix },
    { header: 'CREATED', cell: (t) => formatDate(t.createdAt, tty), plain: (t) => t.createdAt },
    { header: 'EXPIRES', cell: (t) => (t.expiresAt ? formatDate(t.expiresAt, tty) : 'never'), plain: (t) => t.expiresAt ?? '' },
    { header: 'LAST USED', cell: (t) => (t.lastUsedAt ? formatDate(t.lastUsedAt, tty) : 'never'), plain: (t) => t.lastUsedAt ?? '' },
  ], tokens);
}

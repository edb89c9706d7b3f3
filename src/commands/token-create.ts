/**
 * `af-jobs token create`: mints a personal token for the logged-in user (`tokens/create`) and
 * prints it once, alone on stdout, so `AF_JOBS_TOKEN=$(af-jobs token create -q)` works. Minting
 * needs a password login: a token cannot mint tokens (docs/http-api.md "Personal tokens").
 */
import os from 'node:os';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { connect } from '../client/session.js';
import { printJson, printJsonLine } from '../output/format.js';

export interface TokenCreateOptions {
  name?: string;
  /** Whole days, already parsed from `--expires`. */
  expires?: number;
}

export async function run(opts: TokenCreateOptions, ctx: Context): Promise<void> {
  const session = await connect(ctx);
  const { credentials, credentialSource, url } = session.target;
  if (credentials?.kind === 'token') {
    throw new UsageError(`af-jobs token create needs a password login, and the credentials from ${credentialSource} are a personal token (a token cannot mint tokens): run af-jobs login --url ${url} --username <name>${credentialSource === 'AF_JOBS_TOKEN' ? ' without AF_JOBS_TOKEN set' : ''}.`);
  }
  const name = opts.name ?? `af-jobs on ${os.hostname()} ${new Date().toISOString().slice(0, 10)}`;
  const created = await session.jobs.createToken(name, opts.expires);
  if (ctx.output === 'json') printJson(ctx, created);
  else if (ctx.output === 'jsonl') printJsonLine(ctx, created);
  else ctx.stdout.write(`${created.token}\n`);
  const expiry = created.expiresAt ? `expires ${created.expiresAt}` : 'never expires';
  ctx.info(`Token ${created.id} "${created.name}" for ${url} (${expiry}). It is shown this once: store it as a secret, e.g. AF_JOBS_TOKEN in CI. Revoke it with af-jobs token revoke ${created.id}.`);
}

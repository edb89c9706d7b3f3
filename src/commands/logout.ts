/**
 * `af-jobs logout`: forgets a saved login (the profile). AdminForth keeps no server-side
 * sessions (contract §3.2: logout only clears the browser's cookie), so the saved JWT stays valid
 * until it expires; a personal token works until it is revoked. The message says so.
 */
import type { Context } from '../context.js';
import { resolveTarget } from '../client/session.js';
import { printJson } from '../output/format.js';

export async function run(_opts: object, ctx: Context): Promise<void> {
  const target = resolveTarget(ctx);
  const { profile, profileName, store } = target;
  if (!profile || !store.remove(profileName)) {
    if (ctx.output !== 'table') printJson(ctx, { profile: profileName, removed: false });
    ctx.info(`Not logged in${target.url ? ` to ${target.url}` : ''} (no profile "${profileName}" in ${store.file}): nothing to do.`);
    return;
  }
  if (ctx.output !== 'table') printJson(ctx, { profile: profileName, url: profile.url, removed: true });
  ctx.info(`Logged out of ${profile.url}: profile "${profileName}" removed from ${store.file}.`);
  if (profile.credentials.kind === 'session' && profile.credentials.expiresAt) {
    ctx.info(ctx.color.dim(`(AdminForth cannot end a session on the server: a copy of that session would work until ${profile.credentials.expiresAt}.)`));
  } else if (profile.credentials.kind === 'token') {
    ctx.info(ctx.color.dim('(The personal token itself still works until it is revoked: af-jobs token revoke <id|name>.)'));
  }
}

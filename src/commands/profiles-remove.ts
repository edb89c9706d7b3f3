/**
 * `af-jobs profiles remove <name>`: deletes a saved login from profiles.json without asking the
 * app anything (as `logout` does; a personal token keeps working until `af-jobs token revoke`).
 */
import type { Context } from '../context.js';
import { NotFoundError } from '../errors.js';
import { checkProfileName, ProfileStore } from '../client/profiles.js';
import { printJson } from '../output/format.js';

export interface ProfilesRemoveOptions {
  name: string;
}

export async function run(opts: ProfilesRemoveOptions, ctx: Context): Promise<void> {
  const name = checkProfileName(opts.name);
  const store = ProfileStore.forEnv(ctx.env);
  const profile = store.get(name);
  const wasDefault = store.defaultName() === name;
  if (!profile || !store.remove(name)) {
    throw new NotFoundError(`No profile "${name}" in ${store.file}: see af-jobs profiles list.`);
  }
  if (ctx.output !== 'table') printJson(ctx, { profile: name, url: profile.url, removed: true });
  ctx.info(`Profile "${name}" (${profile.url}) removed from ${store.file}${wasDefault && name !== 'default' ? '; the default is "default" again' : ''}.`);
  if (profile.credentials.kind === 'token') {
    ctx.info(ctx.color.dim('(The personal token itself still works until it is revoked: af-jobs token revoke <id|name>.)'));
  }
}

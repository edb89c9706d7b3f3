/**
 * `af-jobs profiles use <name>`: makes a saved login the default, used by every command without
 * `--profile` or `AF_JOBS_PROFILE`.
 */
import type { Context } from '../context.js';
import { NotFoundError } from '../errors.js';
import { checkProfileName, ProfileStore } from '../client/profiles.js';
import { printJson } from '../output/format.js';

export interface ProfilesUseOptions {
  name: string;
}

export async function run(opts: ProfilesUseOptions, ctx: Context): Promise<void> {
  const name = checkProfileName(opts.name);
  const store = ProfileStore.forEnv(ctx.env);
  const profile = store.get(name);
  if (!profile) {
    const names = Object.keys(store.all());
    throw new NotFoundError(`No profile "${name}" in ${store.file}${names.length ? ` (there are: ${names.join(', ')})` : ''}: log in with af-jobs login --url <app url> --profile ${name}, or see af-jobs profiles list.`);
  }
  store.setDefault(name);
  if (ctx.output !== 'table') printJson(ctx, { default: name, url: profile.url });
  ctx.info(`Profile "${name}" (${profile.url}) is the default now.`);
  if (ctx.env.AF_JOBS_PROFILE && ctx.env.AF_JOBS_PROFILE !== name) {
    ctx.warn(`AF_JOBS_PROFILE=${ctx.env.AF_JOBS_PROFILE} is set in this shell and still wins over the default.`);
  }
}

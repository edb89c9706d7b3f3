/**
 * `af-jobs profiles list`: the saved logins (profiles.json): name, URL, user, how logged in, and
 * which one is the default (`profiles use`) and which one a command would use now. Reads the file
 * only; no request.
 */
import type { Context } from '../context.js';
import { checkProfileName, ProfileStore } from '../client/profiles.js';
import { printJson, printJsonLine } from '../output/format.js';
import { printTable } from '../output/table.js';

export async function run(_opts: object, ctx: Context): Promise<void> {
  const store = ProfileStore.forEnv(ctx.env);
  const defaultName = store.defaultName();
  const explicit = ctx.profile ?? (ctx.env.AF_JOBS_PROFILE || undefined);
  const inUse = explicit === undefined ? defaultName : checkProfileName(explicit);
  const rows = Object.entries(store.all()).map(([name, profile]) => ({
    name,
    url: profile.url,
    user: profile.user.username ?? profile.user.pk,
    login: profile.credentials.kind,
    expiresAt: profile.credentials.kind === 'session' ? profile.credentials.expiresAt : null,
    default: name === defaultName,
    current: name === inUse,
  }));
  if (ctx.output === 'json') return printJson(ctx, rows);
  if (ctx.output === 'jsonl') {
    for (const row of rows) printJsonLine(ctx, row);
    return;
  }
  if (rows.length === 0) {
    ctx.info(`No saved logins in ${store.file}: log in with af-jobs login --url <app url>.`);
    return;
  }
  printTable(ctx, [
    { header: 'CURRENT', cell: (r) => (r.current ? '*' : ''), plain: (r) => (r.current ? 'current' : '') },
    { header: 'NAME', cell: (r) => r.name },
    { header: 'URL', cell: (r) => r.url },
    { header: 'USER', cell: (r) => r.user },
    { header: 'LOGIN', cell: (r) => (r.expiresAt ? `session until ${r.expiresAt}` : r.login) },
    { header: 'DEFAULT', cell: (r) => (r.default ? 'default' : '') },
  ], rows);
  if (explicit !== undefined && explicit !== defaultName) {
    ctx.info(ctx.color.dim(`In use now: "${inUse}" (${ctx.profile !== undefined ? '--profile' : 'AF_JOBS_PROFILE'}); the default is "${defaultName}".`));
  }
}

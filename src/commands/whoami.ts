/**
 * `af-jobs whoami`: which app, which user, how authenticated, which plugin instance — asked of
 * the app (discovery), so it also proves the saved credentials still work.
 */
import type { Context } from '../context.js';
import { discover } from '../client/jobs-api.js';
import { connect } from '../client/session.js';
import { printJson, printJsonLine } from '../output/format.js';
import { printFields } from '../output/table.js';

export async function run(_opts: object, ctx: Context): Promise<void> {
  const { target, http, jobs } = await connect(ctx);
  const discovery = await discover(http);
  const instance = discovery.instances.find((i) => i.instanceId === jobs.instance.instanceId) ?? discovery.instances[0];
  const credentials = target.credentials!;
  const expiresAt = credentials.kind === 'session' ? credentials.expiresAt : null;
  const result = {
    url: target.url,
    user: discovery.user,
    isAdmin: instance?.isAdmin ?? false,
    via: credentials.kind === 'session' ? 'session' : 'token',
    credentialsFrom: target.credentialSource,
    expiresAt,
    profile: target.profile ? target.profileName : null,
    instance: instance ? { instanceId: instance.instanceId, resourceId: instance.resourceId, pluginVersion: instance.pluginVersion, apiVersion: instance.apiVersion } : null,
  };
  if (ctx.output === 'json') return printJson(ctx, result);
  if (ctx.output === 'jsonl') return printJsonLine(ctx, result);
  printFields(ctx, [
    ['url', target.url],
    ['user', `${discovery.user.username ?? ''} (pk ${discovery.user.pk})`],
    ['role', result.isAdmin ? 'admin: sees and manages every job' : 'sees and manages the jobs they started'],
    ['auth', credentials.kind === 'session' ? `session${expiresAt ? ` until ${expiresAt}` : ''} (${target.credentialSource})` : `personal token (${target.credentialSource})`],
    ['plugin', instance ? `${instance.resourceId} (instance ${instance.instanceId}, plugin ${instance.pluginVersion}, API v${instance.apiVersion})` : ''],
  ]);
}

/**
 * `POST /adminapi/v1/plugin/background-jobs/instances`: discovery without an instance id. After
 * logging in (or with a token) a client learns each instance's id, resource, version, API path,
 * limits and websocket topics, and who it is. Several plugin instances in one app share this one
 * route, so it is registered once per server and lists them all.
 */
import { z } from 'zod';
// Inlined by the build (dist/ has no package.json beside it); read as JSON on the sources.
import packageJson from '../../package.json' with { type: 'json' };
import type { IHttpServer } from 'adminforth';
import { JOB_TOPIC } from '../adapter/publisher.js';
import { jobsPageOf } from '../adapter/admin-ui.js';
import type { ApiContext } from './context.js';
import { registerApiEndpoint } from './endpoint.js';
import { DEFAULT_LIMIT, DEFAULT_LONG_POLL_MS, MAX_BODY_BYTES, MAX_LIMIT, MAX_LONG_POLL_MS } from './validation.js';

export const INSTANCES_PATH = '/plugin/background-jobs/instances';
/** Bumped when an endpoint changes incompatibly. */
export const API_VERSION = 1;

export const instancesSchema = z.object({}).strict();

/** Registers the route over `all` (the contexts of every instance on this server, filled as they register). */
export function registerInstancesEndpoint(server: IHttpServer, all: ApiContext[]): void {
  const version = packageJson.version;
  registerApiEndpoint(server, all[0], {
    path: INSTANCES_PATH,
    schema: instancesSchema,
    description: 'The background-jobs plugin instances of this app, and who the caller is',
    handler: async ({ caller }) => {
      const { adminforth } = all[0].plugin;
      const baseUrl = (adminforth.config.baseUrl || '').replace(/\/+$/, '');
      const instances = [];
      for (const ctx of all) {
        const { plugin } = ctx;
        instances.push({
          instanceId: plugin.pluginInstanceId,
          resourceId: plugin.resourceConfig.resourceId,
          resourceLabel: plugin.resourceConfig.label ?? plugin.resourceConfig.resourceId,
          pluginVersion: version,
          apiVersion: API_VERSION,
          apiPath: `${baseUrl}/adminapi/v1/plugin/${plugin.pluginInstanceId}`,
          // The Jobs page in the admin (docs/jobs-page.md); null when the app turned it off.
          pageUrl: pageUrlOf(baseUrl, plugin.options),
          // The `isAdmin` option for the caller: with the default policy, admins see and manage every job.
          isAdmin: await ctx.policy.isAdmin(caller.adminUser),
        });
      }
      return {
        instances,
        user: { pk: String(caller.adminUser.pk), username: caller.adminUser.username ?? null, via: caller.via },
        limits: { defaultLimit: DEFAULT_LIMIT, maxLimit: MAX_LIMIT, maxLongPollMs: MAX_LONG_POLL_MS, defaultLongPollMs: DEFAULT_LONG_POLL_MS, maxBodyBytes: MAX_BODY_BYTES },
        websocket: { path: `${baseUrl}/afws`, jobTopic: JOB_TOPIC, taskTopic: '/background-jobs-task-update/<jobId>' },
      };
    },
  });
}

function pageUrlOf(baseUrl: string, options: Parameters<typeof jobsPageOf>[0]): string | null {
  try {
    const page = jobsPageOf(options);
    return page ? `${baseUrl}${page.path}` : null;
  } catch {
    return null;
  }
}

/**
 * Registers every HTTP endpoint of one plugin instance (docs/http-api.md). Called from the
 * plugin's `setupEndpoints(server)`, which AdminForth calls before database discovery (contract
 * §1.3): handlers wait for the engine, nothing here touches the database yet.
 */
import type { IHttpServer } from 'adminforth';
import type { TokenStore } from '../store/token-store.js';
import { createContext, type ApiContext, type JobsPluginFacade } from './context.js';
import { EventLog } from './event-log.js';
import { JOB_INFO_PATH, registerCompatEndpoints, registerJobInfoEndpoint } from './compat-endpoints.js';
import { registerBodyErrorHandler } from './body-errors.js';
import { registerJobsApi } from './jobs-api.js';
import { registerTokenEndpoints } from './tokens.js';
import { registerScheduleEndpoints } from './schedules-api.js';
import { INSTANCES_PATH, registerInstancesEndpoint } from './instances.js';
import { HandlerMetrics } from './handler-metrics.js';
import { registerJobsPageApi } from './jobs-page-api.js';
import { registerBulkActions } from './bulk-actions.js';

/** Instances per server, for the routes without an instance id, which are registered once. */
const instancesByServer = new WeakMap<object, ApiContext[]>();

export function registerHttpApi(server: IHttpServer, plugin: JobsPluginFacade): ApiContext {
  const { policy } = plugin;
  const events = new EventLog();
  // Wakes the jobs/events long polls (http/event-log.ts).
  plugin.events.onAny((event) => events.append(event));
  // The Jobs page's per-handler counters (handler-metrics.ts): every replica's events come through here.
  const metrics = new HandlerMetrics();
  plugin.events.onAny((event) => metrics.record(event));

  const tokens = async (): Promise<TokenStore> => {
    await ctx.engine(); // NOT_READY when the engine could not start
    return plugin.tokenStore();
  };
  const ctx = createContext(plugin, policy, events, tokens);

  const base = `/plugin/${plugin.pluginInstanceId}`;
  registerCompatEndpoints(server, ctx, base);
  registerJobsApi(server, ctx, base);
  registerTokenEndpoints(server, ctx, base);
  registerScheduleEndpoints(server, ctx, base);
  registerJobsPageApi(server, ctx, base, metrics);
  registerBulkActions(server, ctx, base);

  let all = instancesByServer.get(server);
  if (!all) {
    const instances: ApiContext[] = (all = []);
    instancesByServer.set(server, instances);
    instances.push(ctx);
    registerInstancesEndpoint(server, instances);
    registerJobInfoEndpoint(server, instances);
    registerBodyErrorHandler(server, plugin.adminforth.config.baseUrl ?? '', (path) =>
      path === INSTANCES_PATH || path === JOB_INFO_PATH || instances.some((one) => path.startsWith(`/plugin/${one.plugin.pluginInstanceId}/`)));
  } else {
    all.push(ctx);
  }
  return ctx;
}

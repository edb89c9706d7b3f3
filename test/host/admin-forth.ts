/**
 * The host's `AdminForth` class: the startup lifecycle of contract §1.3 (config normalisation,
 * plugin activation in the constructor, endpoints at `serve`, discovery, `validateConfigAfterDiscover`,
 * then the operational resources), the plugin lookups of §1.2 and `resource()` of §2.
 * `shutdown()` is the host's own addition so tests can tear an app down.
 */
import { createConnector, mergeDiscoveredColumns, OperationalResource, type DataConnector } from './connectors/index.js';
import { validateConfig } from './config-validator.js';
import { deleteResourceRecord, updateResourceRecord, type DeleteResourceRecordParams, type UpdateResourceRecordParams } from './record-operations.js';
import { AdminForthAuth } from './http/auth.js';
import { ExpressServer } from './http/express-server.js';
import { registerCoreEndpoints } from './http/rest-api.js';
import { SocketBroker } from './socket-broker.js';
import type {
  AdminForthConfig,
  AdminForthInputConfig,
  AdminForthPluginLike,
  AdminForthResource,
  IAdminForth,
  IHttpServer,
  IOperationalResource,
  PluginInstanceEntry,
} from './types.js';
import { didYouMean, Utils } from './utils.js';

declare global {
  // eslint-disable-next-line no-var
  var adminforth: AdminForth | undefined;
}

/** Rounds of activation for plugins that add plugins while being activated (contract §1.3 step 4). */
const MAX_ACTIVATION_ROUNDS = 10;

/** An error a plugin's `validateConfigAfterDiscover` threw or rejected with (see `pluginErrors`). */
export interface PluginHookError {
  hook: 'validateConfigAfterDiscover';
  plugin: AdminForthPluginLike;
  resourceId: string;
  error: unknown;
}

export default class AdminForth implements IAdminForth {
  /** `AdminForth.Utils.generatePasswordHash` / `verifyPassword` (contract §3.2). */
  static Utils = Utils;

  config: AdminForthConfig;
  statuses: IAdminForth['statuses'] = { dbDiscover: undefined };
  activatedPlugins: AdminForthPluginLike[] = [];
  pluginsById: Record<string, AdminForthPluginLike> = {};
  /** What `componentPath` registers (the host has no SPA to bundle them into). */
  codeInjector = { srcFoldersToSync: {} as Record<string, string>, allComponentNames: {} as Record<string, string> };
  /** One connector per data source id, set by `discoverDatabases`. */
  connectors: Record<string, DataConnector> = {};
  /**
   * Errors from `validateConfigAfterDiscover`. Host deviation: AdminForth does not await the hook,
   * so a rejection there is an unhandled rejection; the host catches it, logs it with
   * `console.error` and records it here so tests can assert on it.
   */
  pluginErrors: PluginHookError[] = [];

  websocket: SocketBroker;
  express: ExpressServer;
  auth: AdminForthAuth;

  /** Built at the very end of discovery; undefined before (contract §1.3 step 3). */
  private operationalResources?: Record<string, IOperationalResource>;
  private shutdownPromise?: Promise<void>;

  constructor(config: AdminForthInputConfig) {
    if (global.adminforth) {
      throw new Error(
        'AdminForth instance already exists in this process: only one `new AdminForth(...)` is allowed ' +
        '(in tests, await admin.shutdown() on the previous one first)',
      );
    }
    this.websocket = new SocketBroker(this);
    try {
      this.config = validateConfig(config);
      this.activatePlugins();
      this.express = new ExpressServer(this);
      this.auth = new AdminForthAuth(this);
    } catch (err) {
      void Promise.resolve(this.websocket.close?.()).catch(() => {});
      throw err;
    }
    global.adminforth = this;
  }

  /**
   * Activates plugins as AdminForth 3.16 does (contract §1.3): one list of `{ pi, resource }` is
   * built once (resource plugins, then `globalPlugins` with `resource: null`) and handed to every
   * `modifyResourceConfig` as its third argument. Each round activates, in ascending
   * `activationOrder`, the entries whose instance id no activated plugin has yet: `global` ones
   * get `modifyGlobalConfig`, the rest `modifyResourceConfig`, neither awaited (an async one runs
   * up to its first `await`). Rounds go on until as many plugins are activated as the list holds,
   * at most 10. A plugin added to `config.globalPlugins` (or a resource's `plugins`) during
   * activation is never activated; one pushed into the list is, in the next round.
   */
  private activatePlugins(): void {
    const allPluginInstances: PluginInstanceEntry[] = [];
    for (const resource of this.config.resources) {
      for (const plugin of resource.plugins ?? []) {
        if (plugin.pluginsScope === 'global') {
          throw new Error(
            `Plugin ${plugin.constructor.name} is a global plugin (pluginsScope = 'global') but it is ` +
            `listed in the plugins of resource "${resource.resourceId}". Move it from ` +
            `resources[].plugins to config.globalPlugins.`,
          );
        }
        allPluginInstances.push({ pi: plugin, resource });
      }
    }
    // Global plugins have no resource; AdminForth's types say otherwise, hence the cast.
    for (const plugin of this.config.globalPlugins ?? []) allPluginInstances.push({ pi: plugin, resource: null as never });

    for (let round = 1; allPluginInstances.length !== this.activatedPlugins.length; round++) {
      if (round > MAX_ACTIVATION_ROUNDS) {
        throw new Error(`Plugin activation loop exceeded ${MAX_ACTIVATION_ROUNDS} iterations, possible infinite loop (some plugin tries to activate himself in a loop)`);
      }
      const pending = allPluginInstances.filter(({ pi }) => !this.activatedPlugins.some((p) => p.pluginInstanceId === pi.pluginInstanceId));
      pending.sort((a, b) => (a.pi.activationOrder ?? 0) - (b.pi.activationOrder ?? 0));
      for (const { pi, resource } of pending) {
        if (pi.pluginsScope === 'global') void pi.modifyGlobalConfig?.(this);
        else void pi.modifyResourceConfig?.(this, resource, allPluginInstances);
        this.registerActivated(pi);
      }
    }
  }

  private registerActivated(plugin: AdminForthPluginLike): void {
    const twin = this.activatedPlugins.find((other) => other.pluginInstanceId === plugin.pluginInstanceId);
    if (twin) {
      throw new Error(
        `Attempt to activate Plugin ${plugin.constructor.name} second time for same resource, but the plugin ` +
        `returns the same instanceUniqueRepresentation for both instances (pluginInstanceId ` +
        `${plugin.pluginInstanceId}). Return a value unique per installation from instanceUniqueRepresentation, ` +
        `and call super.modifyResourceConfig(...) before any await.`,
      );
    }
    const id = plugin.pluginOptions?.id;
    if (id !== undefined && id !== null) {
      if (this.pluginsById[id]) throw new Error(`Plugin with id "${id}" already exists!`);
      this.pluginsById[id] = plugin;
    }
    this.activatedPlugins.push(plugin);
  }

  /** Exactly one activated plugin with `className`; throws on none or several (contract §1.2). */
  getPluginByClassName<T>(className: string): T {
    const matches = this.getPluginsByClassName<T>(className);
    if (matches.length === 0) {
      const hint = didYouMean(className, new Set(this.activatedPlugins.map((p) => p.className)), '');
      throw new Error(`Plugin with className ${className} not found.${hint}`);
    }
    if (matches.length > 1) {
      throw new Error(`Multiple plugins with className ${className} found. Use getPluginsByClassName instead`);
    }
    return matches[0];
  }

  getPluginsByClassName<T>(className: string): T[] {
    return this.activatedPlugins.filter((plugin) => plugin.className === className) as T[];
  }

  /** The plugin registered under `pluginOptions.id`. */
  getPluginById<T>(id: string): T {
    const plugin = this.pluginsById[id];
    if (!plugin) {
      throw new Error(`Plugin with id "${id}" not found.${didYouMean(id, Object.keys(this.pluginsById))}`);
    }
    return plugin as T;
  }

  /** Called by `express.serve(app)`: core endpoints first, then every activated plugin's. */
  setupEndpoints(server: IHttpServer): void {
    registerCoreEndpoints(server as ExpressServer, this);
    for (const plugin of this.activatedPlugins) plugin.setupEndpoints(server);
  }

  /** No SPA in the host; resolves at once (contract §9.8). */
  async bundleNow(_options?: unknown): Promise<void> {}

  /**
   * Connects every data source, discovers and merges columns, marks discovery done, calls
   * `validateConfigAfterDiscover` of each resource's own plugins (not awaited), builds the
   * operational resources, and last throws when `ADMINFORTH_SECRET` is unset (contract §1.3 step 3).
   */
  async discoverDatabases(): Promise<void> {
    this.statuses.dbDiscover = 'running';
    for (const source of this.config.dataSources) {
      // A second discovery reuses the connectors of the first (no handles left behind).
      if (this.connectors[source.id]) continue;
      const connector = createConnector(source.url, { databaseConnectors: this.config.databaseConnectors });
      this.connectors[source.id] = connector;
      await connector.setupClient(source.url);
    }
    await Promise.all(this.config.resources.map(async (resource) => {
      const discovered = await this.connectors[resource.dataSource].discoverFields(resource);
      mergeDiscoveredColumns(resource, discovered);
    }));
    this.statuses.dbDiscover = 'done';

    for (const resource of this.config.resources) this.postProcessAfterDiscover(resource);

    const operational: Record<string, IOperationalResource> = {};
    for (const resource of this.config.resources) {
      operational[resource.resourceId] = new OperationalResource(this.connectors[resource.dataSource], resource);
    }
    this.operationalResources = operational;

    if (!process.env.ADMINFORTH_SECRET) {
      throw new Error('ADMINFORTH_SECRET environment variable is not set: it signs the auth JWTs. Set it before starting');
    }
  }

  /**
   * Global plugins never get `validateConfigAfterDiscover` (contract §1.3 step 3). It is called
   * without awaiting: a synchronous throw propagates out of `discoverDatabases()` as in AdminForth
   * (start-up fails); a rejected promise is caught and recorded (see `pluginErrors`).
   */
  private postProcessAfterDiscover(resource: AdminForthResource): void {
    for (const plugin of resource.plugins) {
      if (typeof plugin.validateConfigAfterDiscover !== 'function') continue;
      const result = plugin.validateConfigAfterDiscover(this, resource);
      if (result && typeof (result as Promise<void>).then === 'function') {
        (result as Promise<void>).then(undefined, (error: unknown) => {
          console.error(`[adminforth host] ${plugin.constructor.name}.validateConfigAfterDiscover on "${resource.resourceId}" failed:`, error);
          this.pluginErrors.push({ hook: 'validateConfigAfterDiscover', plugin, resourceId: resource.resourceId, error });
        });
      }
    }
  }

  /** The data API of one resource; only after `discoverDatabases()` has finished (contract §2). */
  resource(resourceId: string): IOperationalResource {
    if (this.statuses.dbDiscover === undefined) {
      throw new Error(
        'Database discovery not yet started: call `await admin.discoverDatabases()` before using the data API ' +
        '(adminforth.resource)',
      );
    }
    if (this.statuses.dbDiscover === 'running') {
      throw new Error(
        'Database discovery is running: the data API (adminforth.resource) is usable only after ' +
        '`await admin.discoverDatabases()` has finished',
      );
    }
    const known = this.config.resources.map((r) => r.resourceId);
    if (!known.includes(resourceId)) {
      throw new Error(`Resource with id "${resourceId}" not found.${didYouMean(resourceId, known)}`);
    }
    if (!this.operationalResources) {
      // AdminForth fails here with a TypeError too: the operational resources are built only after
      // every validateConfigAfterDiscover has been called (contract §1.3).
      throw new TypeError(
        `Cannot use resource "${resourceId}" yet: operational resources are built after validateConfigAfterDiscover returns`,
      );
    }
    return this.operationalResources[resourceId];
  }

  /** Updates a record with the resource's edit hooks (contract §2), as core's `update_record` does. */
  updateResourceRecord(params: UpdateResourceRecordParams): Promise<{ error: any }> {
    return updateResourceRecord(this, params);
  }

  /** Deletes a record with the resource's delete hooks (contract §2), as core's `delete_record` does. */
  deleteResourceRecord(params: DeleteResourceRecordParams): Promise<{ error: any }> {
    return deleteResourceRecord(this, params);
  }

  /**
   * Host-only teardown: closes the http server, the websocket and every connector and clears
   * `global.adminforth`. Idempotent.
   */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      const errors: unknown[] = [];
      const attempt = async (step: () => unknown) => {
        try { await step(); } catch (err) { errors.push(err); }
      };
      await attempt(() => this.express?.close());
      await attempt(() => this.websocket?.close?.());
      for (const connector of Object.values(this.connectors)) await attempt(() => connector.close());
      if (global.adminforth === this) global.adminforth = undefined;
      if (errors.length) throw new AggregateError(errors, 'admin.shutdown() could not close everything');
    })();
    return this.shutdownPromise;
  }
}

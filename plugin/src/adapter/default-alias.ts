/**
 * Makes `admin.getPluginByClassName('default')` find the plugin, as some samples of the official
 * docs call it (written when the class was anonymous, whose name is `default`, contract §1.2),
 * while `getPluginByClassName('BackgroundJobsPlugin')` keeps working: a small global plugin named
 * `default` that forwards every call to the real one.
 *
 * AdminForth activates only the plugins of the list it builds once at the start of activation,
 * and hands that list to `modifyResourceConfig` as its third argument; an entry pushed into it is
 * activated in the next round (contract §1.3, observed on AdminForth 3.16.4). A plugin pushed into
 * `config.globalPlugins` at that point is never activated, so that is only the fallback for an
 * AdminForth that passes no list.
 */
import { AdminForthPlugin } from 'adminforth';
import type { AdminForthResource, IAdminForth } from 'adminforth';

/** What AdminForth's base class sets on a plugin during activation (contract §1.1). */
const OWN_FIELDS = new Set<PropertyKey>(['pluginInstanceId', 'adminforth', 'resourceConfig']);

export function createDefaultAlias<T extends object>(target: T): AdminForthPlugin {
  class BackgroundJobsPluginDefaultAlias extends AdminForthPlugin {
    constructor() {
      super({}, import.meta.url);
      this.pluginsScope = 'global';
      this.className = 'default';
    }

    override instanceUniqueRepresentation(): string {
      return 'BackgroundJobsPluginDefaultAlias';
    }
  }
  const alias = new BackgroundJobsPluginDefaultAlias();
  return new Proxy(alias, {
    get(self, property, receiver) {
      // The alias's own identity, even while unset: AdminForth's base class creates these only at
      // activation, and forwarded they would give the alias the real plugin's id, which AdminForth
      // then takes for an activated plugin, never activates the alias and gives up after 10 rounds.
      if (property in self || OWN_FIELDS.has(property)) return Reflect.get(self, property, receiver);
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Adds the alias to the plugins AdminForth activates (see above). */
export function registerDefaultAlias(
  adminforth: IAdminForth,
  alias: AdminForthPlugin,
  allPluginInstances: { pi: AdminForthPlugin; resource: AdminForthResource }[] | undefined,
): void {
  if (Array.isArray(allPluginInstances)) {
    // A global plugin's entry has no resource (AdminForth's own list holds null there).
    allPluginInstances.push({ pi: alias, resource: null as never });
  } else {
    adminforth.config.globalPlugins ??= [];
    adminforth.config.globalPlugins.push(alias);
  }
}

/**
 * Makes `admin.getPluginByClassName('default')` find the plugin, as some samples of the official
 * docs call it (written when the class was anonymous, whose name is `default`, contract §1.2),
 * while `getPluginByClassName('BackgroundJobsPlugin')` keeps working. AdminForth activates plugins
 * that are added to `config.globalPlugins` during activation (contract §1.3: up to 10 rounds), so
 * the plugin adds this small global plugin named `default` that forwards every call to it.
 */
import { AdminForthPlugin } from 'adminforth';

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
      if (property in self) return Reflect.get(self, property, receiver);
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

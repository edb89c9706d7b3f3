/**
 * The plugin base class, reproducing contract §1.1: which fields the constructor sets, which are
 * set later by `modifyResourceConfig` / `modifyGlobalConfig`, how `pluginInstanceId` is derived
 * and what `componentPath` returns and registers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AdminForthResource, IAdminForth, IHttpServer } from './types.js';
import { currentFileDir, md5hex } from './utils.js';

export default class AdminForthPlugin {
  // `declare`: as in AdminForth's build, these three are not properties of a new instance at all
  // (not even undefined ones) until activation sets them; `'pluginInstanceId' in plugin` is false.
  /** Set by `modifyResourceConfig` / `modifyGlobalConfig`, not by the constructor. */
  declare adminforth: IAdminForth;
  /** The normalised resource this instance sits on; set by `modifyResourceConfig`. */
  declare resourceConfig: AdminForthResource;
  /** md5 hex id, set by `initializePluginInstanceId` (called from the two modify methods). */
  declare pluginInstanceId: string;

  /** Directory of the plugin's entry file (see `currentFileDir`). */
  pluginDir: string;
  customFolderName = 'custom';
  /** `<pluginDir>/custom`: where `componentPath` looks for `.vue` files. */
  customFolderPath: string;
  pluginOptions: any;
  /** `this.constructor.name`; `'default'` for an anonymous default-exported class (contract §1.2). */
  className: string;
  /** Informational only: core never reads it (contract §1.1). */
  shouldHaveSingleInstancePerWholeApp: () => boolean;
  /** Plugins are activated in ascending order of this number. */
  activationOrder = 0;
  /** `'global'` plugins go in `config.globalPlugins` and get `modifyGlobalConfig`. */
  pluginsScope: 'resource' | 'global' = 'resource';

  constructor(pluginOptions: any, metaUrl: string) {
    this.pluginDir = currentFileDir(metaUrl);
    this.customFolderPath = path.join(this.pluginDir, this.customFolderName);
    this.pluginOptions = pluginOptions;
    this.className = this.constructor.name;
    this.shouldHaveSingleInstancePerWholeApp = () => false;
  }

  /** Distinguishes several instances of one plugin class on one resource. */
  instanceUniqueRepresentation(_pluginOptions: any): string {
    return 'non-uniquely-identified';
  }

  /**
   * md5 of `af_pl_<Class>_<resourceId|_>_<unique>` or, for global plugins,
   * `af_pl_<Class>_global_<unique>`. The two modify methods pass the scope they were called for.
   */
  initializePluginInstanceId(scope: 'resource' | 'global' = this.pluginsScope): void {
    const uniqueness = this.instanceUniqueRepresentation(this.pluginOptions);
    const seed = scope === 'global'
      ? `af_pl_${this.constructor.name}_global_${uniqueness}`
      : `af_pl_${this.constructor.name}_${this.resourceConfig?.resourceId || '_'}_${uniqueness}`;
    this.pluginInstanceId = md5hex(seed);
  }

  /**
   * Overrides must call `super.modifyResourceConfig(...)` first (contract §1.1). The third argument
   * is the activation list: pushing `{ pi, resource }` into it activates `pi` next round (§1.3).
   */
  modifyResourceConfig(adminforth: IAdminForth, resourceConfig: AdminForthResource, _allPluginInstances?: { pi: AdminForthPlugin; resource: AdminForthResource }[]): void | Promise<void> {
    this.adminforth = adminforth;
    this.resourceConfig = resourceConfig;
    this.initializePluginInstanceId('resource');
  }

  modifyGlobalConfig(adminforth: IAdminForth): void | Promise<void> {
    this.adminforth = adminforth;
    this.initializePluginInstanceId('global');
  }

  /** Always called by the host at `express.serve(app)`; the base registers nothing. */
  setupEndpoints(_server: IHttpServer): void {}

  /**
   * `@@/plugins/<ClassName>/<file>`; registers the custom folder and the component with the
   * host's code injector. Throws when `<customFolderPath>/<file>` does not exist. Needs
   * `this.adminforth`, so call it after `super.modifyResourceConfig`.
   */
  componentPath(componentFile: string): string {
    const className = this.constructor.name;
    const importPath = `@@/plugins/${className}/${componentFile}`;
    const sourceFile = path.join(this.customFolderPath, componentFile);
    if (!fs.existsSync(sourceFile)) {
      throw new Error(
        `Plugin "${className}" uses component "${componentFile}" but "${sourceFile}" does not exist ` +
        `(plugin packages must ship their custom/ folder next to the built entry file)`,
      );
    }
    const injector = this.adminforth.codeInjector;
    injector.srcFoldersToSync[this.customFolderPath] = `./plugins/${className}/`;
    injector.allComponentNames[importPath] = importPath.replace(/[@./]/g, '');
    return importPath;
  }
}

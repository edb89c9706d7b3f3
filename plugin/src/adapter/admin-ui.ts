/**
 * Injects the plugin's admin UI (the Vue components in `plugin/custom/`) the way the official
 * plugin does (contract §7): two header injections (the navbar indicator and the hidden component
 * that exposes `window.OpenJobInfoPopup(jobId)`), both with `meta: { pluginInstanceId }`, and the
 * status badge in `componentsToExplicitRegister` so it can be resolved by name at runtime.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AdminForthPlugin, IAdminForth } from 'adminforth';

/** The files AdminForth bundles from the plugin's custom folder. */
export const ADMIN_UI_COMPONENTS = {
  navbar: 'NavbarJobs.vue',
  globalApi: 'GlobalJobApi.vue',
  statusBadge: 'JobStatusBadge.vue',
} as const;

/**
 * AdminForth looks for components in `<dir of the entry file>/custom`. This package keeps them in
 * `custom/` beside `src/` (a build that copies `custom/` next to its entry file is found as is),
 * so the folder is pointed there before `componentPath` is called.
 */
export function locateCustomFolder(plugin: Pick<AdminForthPlugin, 'pluginDir' | 'customFolderPath'>): string {
  const candidates = [plugin.customFolderPath, path.join(plugin.pluginDir, '..', 'custom')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, ADMIN_UI_COMPONENTS.navbar))) ?? plugin.customFolderPath;
}

export function injectAdminUi(plugin: AdminForthPlugin, adminforth: IAdminForth): void {
  plugin.customFolderPath = locateCustomFolder(plugin);
  const meta = { pluginInstanceId: plugin.pluginInstanceId };
  const customization = adminforth.config.customization;
  customization.globalInjections ??= {} as typeof customization.globalInjections;
  customization.globalInjections.header ??= [];
  customization.globalInjections.header.push(
    { file: plugin.componentPath(ADMIN_UI_COMPONENTS.navbar), meta },
    { file: plugin.componentPath(ADMIN_UI_COMPONENTS.globalApi), meta },
  );
  adminforth.config.componentsToExplicitRegister ??= [];
  adminforth.config.componentsToExplicitRegister.push({ file: plugin.componentPath(ADMIN_UI_COMPONENTS.statusBadge) });
}

/**
 * Injects the plugin's admin UI (the Vue components in `plugin/custom/`) the way the official
 * plugin does (contract §7): two header injections (the navbar indicator and the hidden component
 * that exposes `window.OpenJobInfoPopup(jobId)`), both with `meta: { pluginInstanceId }`, and the
 * status badge in `componentsToExplicitRegister` so it can be resolved by name at runtime.
 *
 * And the Jobs page (docs/jobs-page.md): a menu item of type `page` with the plugin's
 * `JobsPage.vue` as its component, so AdminForth registers the route when it bundles the SPA. Real
 * AdminForth 3.16 takes it through `registerMenuContribution` (its documented way for plugins:
 * the app's own `config.menu` stays untouched); older versions read routes and icons from
 * `config.menu`, so there the item is inserted after the jobs resource's own entry.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AdminForthPlugin, IAdminForth } from 'adminforth';
import type { JobsPageOptions } from '../types.js';

/** The files AdminForth bundles from the plugin's custom folder. */
export const ADMIN_UI_COMPONENTS = {
  navbar: 'NavbarJobs.vue',
  globalApi: 'GlobalJobApi.vue',
  statusBadge: 'JobStatusBadge.vue',
  jobsPage: 'JobsPage.vue',
} as const;

export const JOBS_PAGE_DEFAULTS: Required<JobsPageOptions> = {
  path: '/background-jobs',
  label: 'Background jobs',
  icon: 'flowbite:chart-pie-solid',
};

/**
 * The Jobs page's settings, or null when `jobsPage: false`. The path goes into the route table
 * AdminForth generates as code (`path: '<path>'`), so it is held to plain URL characters.
 */
export function jobsPageOf(options: { jobsPage?: false | JobsPageOptions } | undefined): Required<JobsPageOptions> | null {
  const page = options?.jobsPage;
  if (page === false) return null;
  const settings = { ...JOBS_PAGE_DEFAULTS, ...(page ?? {}) };
  if (typeof settings.path !== 'string' || !/^\/[A-Za-z0-9_\-/]*$/.test(settings.path)) {
    throw new Error(`BackgroundJobsPlugin: option jobsPage.path must start with '/' and hold only letters, digits, '-', '_' and '/', got ${JSON.stringify(settings.path)}.`);
  }
  return settings;
}

interface MenuItem {
  itemId: string;
  type: 'page';
  label: string;
  icon: string;
  path: string;
  component: string;
}

/** Adds the Jobs page to the menu, after the item of the jobs resource. */
export function injectJobsPage(plugin: AdminForthPlugin, adminforth: IAdminForth, resourceId: string): void {
  const page = jobsPageOf(plugin.pluginOptions);
  if (!page) return;
  const item: MenuItem = {
    itemId: `background-jobs-page-${plugin.pluginInstanceId}`,
    type: 'page',
    label: page.label,
    icon: page.icon,
    path: page.path,
    component: plugin.componentPath(ADMIN_UI_COMPONENTS.jobsPage),
  };
  const af = adminforth as unknown as {
    registerMenuContribution?: (contribution: { item: MenuItem; placement?: unknown }) => void;
    config: { menu?: { resourceId?: string; itemId?: string }[] };
  };
  if (typeof af.registerMenuContribution === 'function') {
    af.registerMenuContribution({ item, placement: { after: { resourceId } } });
    return;
  }
  const menu = (af.config.menu ??= []);
  if (menu.some((entry) => entry.itemId === item.itemId)) return;
  const after = menu.findIndex((entry) => entry.resourceId === resourceId);
  menu.splice(after === -1 ? menu.length : after + 1, 0, item);
}

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
  injectJobsPage(plugin, adminforth, plugin.resourceConfig.resourceId);
}

/**
 * Per-request column rules the resource endpoints apply (`modules/restApi.ts` `isBackendOnly`,
 * `isShown`): `backendOnly` and `showIn` values may be booleans or functions of
 * `{ adminUser, resource, meta, source, adminforth }`.
 */
import type { ActionCheckSource, AdminForthResource, AdminForthResourceColumn, AdminUser, IAdminForth } from '../types.js';

/** What a column rule function is called with. */
export interface RuleContext {
  adminUser: AdminUser;
  resource: AdminForthResource;
  meta: any;
  source: ActionCheckSource;
  adminforth: IAdminForth;
}

async function resolve(value: unknown, ctx: RuleContext): Promise<boolean> {
  return typeof value === 'function' ? Boolean(await value(ctx)) : Boolean(value);
}

/** `backendOnly`: never sent to the browser and never written from it. */
export function isBackendOnly(column: AdminForthResourceColumn, ctx: RuleContext): Promise<boolean> {
  return resolve(column.backendOnly, ctx);
}

/**
 * Whether the column shows on `page`. AdminForth's validator turns `showIn` into an object with
 * every page (a legacy array lists the pages it shows on; `all` fills the pages not named;
 * default `true`); the host keeps `showIn` as the app wrote it and reads it the same way here.
 */
export function isShownOn(column: AdminForthResourceColumn, page: 'list' | 'show' | 'edit' | 'create' | 'filter', ctx: RuleContext): Promise<boolean> {
  const showIn = column.showIn as unknown;
  if (Array.isArray(showIn)) return Promise.resolve(showIn.includes(page));
  const pages = (showIn ?? {}) as Record<string, unknown>;
  if (pages[page] !== undefined) return resolve(pages[page], ctx);
  if (pages.all !== undefined) return resolve(pages.all, ctx);
  return Promise.resolve(true);
}

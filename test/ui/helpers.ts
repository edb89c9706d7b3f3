/**
 * Helpers of the component tests: AdminForth's i18n set-up, a fake of the plugin's HTTP API
 * behind `fetch` (what `callAdminForthApi` calls), and mounting with both.
 */
import { flushPromises, mount, type ComponentMountingOptions } from '@vue/test-utils';
import { createI18n } from 'vue-i18n';
import type { Component } from 'vue';
import { vi } from 'vitest';
import { until as untilWaiting } from '../helpers/wait';

export const PLUGIN_ID = '0074ddcdd9e9f208d9af952ef7c971c0';
export const meta = { pluginInstanceId: PLUGIN_ID };

export const consoleState: { allowed: RegExp[]; seen: { level: string; text: string }[] } = { allowed: [], seen: [] };

/** Lets console warnings/errors matching `pattern` pass the check of setup.ts. */
export function allowConsole(pattern: RegExp): void {
  consoleState.allowed.push(pattern);
}

/** AdminForth's SPA i18n (spa/src/i18n.ts): composition mode, no warnings, a missing key shows itself. */
export function createAdminForthI18n() {
  return createI18n({
    legacy: false,
    locale: 'en',
    missingWarn: false,
    fallbackWarn: false,
    missing: (_locale: string, key: string) => `${key} `,
  });
}

export interface ApiCall {
  path: string;
  body: any;
}

type Handler = (body: any, call: ApiCall) => unknown;

/**
 * Stubs `fetch` with handlers keyed by the path after `/adminapi/v1` (e.g. `/plugin/<id>/jobs/get`
 * or `jobs/get` for this plugin's instance). A handler returns the JSON answer, or
 * `{ status, json }` built with `answer()`. Unknown paths answer 404 and fail the test.
 */
export function fakeApi(handlers: Record<string, Handler>) {
  const calls: ApiCall[] = [];
  const resolve = (path: string): Handler | undefined =>
    handlers[path] ?? handlers[path.replace(`/plugin/${PLUGIN_ID}/`, '')];
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = String(input);
    if (!url.startsWith('/adminapi/v1/')) throw new Error(`unexpected fetch ${url}`);
    const path = url.slice('/adminapi/v1'.length);
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const call = { path, body };
    calls.push(call);
    const handler = resolve(path);
    if (!handler) return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no fake for ${path}` } }), { status: 404 });
    const result = await handler(body, call);
    if (result instanceof Answer) return new Response(JSON.stringify(result.json), { status: result.status, headers: { 'content-type': 'application/json' } });
    return new Response(JSON.stringify(result), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    calls,
    callsTo: (suffix: string) => calls.filter((c) => c.path.endsWith(suffix)),
  };
}

class Answer {
  constructor(readonly status: number, readonly json: unknown) {}
}

export function answer(status: number, json: unknown): Answer {
  return new Answer(status, json);
}

/** The discovery endpoint's answer for a caller. */
export function instancesAnswer(pk: string, isAdmin = false) {
  return {
    instances: [{ instanceId: PLUGIN_ID, resourceId: 'jobs', isAdmin }],
    user: { pk, username: `user-${pk}`, via: 'cookie' },
  };
}

export function mountWithI18n<C extends Component>(component: C, options: ComponentMountingOptions<C> = {}) {
  const global = (options as any).global ?? {};
  return mount(component, {
    attachTo: document.body,
    ...options,
    global: { ...global, plugins: [...(global.plugins ?? []), createAdminForthI18n()] },
  } as any);
}

/** Waits for pending promises and Vue's updates (a few rounds: requests chain). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await flushPromises();
}

/**
 * Waits until `check` passes (an assertion that stops throwing, or `true`), for throttled reloads:
 * the kit's `until` (test/helpers/wait.ts, real timers) with Vue's updates settled before each look.
 * On timeout the error carries the last assertion's message (and the assertion as its cause).
 */
export async function until(check: () => boolean | void, timeoutMs = 3000): Promise<void> {
  await untilWaiting('the component to show what the check expects', async () => {
    await settle();
    return check() !== false;
  }, { timeoutMs, intervalMs: 20 });
}

/** Clicks a button of the plugin's confirmation dialog (plugin/custom/ConfirmDialog.vue). */
export async function answerConfirm(yes: boolean): Promise<void> {
  await until(() => document.querySelector('[data-testid="confirm-dialog"]') !== null);
  (document.querySelector(`[data-testid="confirm-${yes ? 'yes' : 'no'}"]`) as HTMLElement).click();
  await settle();
}

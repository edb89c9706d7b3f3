/**
 * Setup of the component tests: no real websocket (messages come from the stand-in's `emit`),
 * a clean slate between tests, and no console warning or error unless a test allows it (Vue
 * reports bad props, failed resolutions and render errors as warnings).
 */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { enableAutoUnmount } from '@vue/test-utils';
import { disableSocket, resetListeners } from './stand-ins/websocket';
import { alerts } from './stand-ins/adminforth';
import { forgetCaller } from '../../plugin/custom/utils';
import { consoleState } from './helpers';

disableSocket();

beforeEach(() => {
  consoleState.allowed = [];
  consoleState.seen = [];
  for (const level of ['warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      consoleState.seen.push({ level, text: args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ') });
    });
  }
});

afterEach(() => {
  const unexpected = consoleState.seen.filter((entry) => !consoleState.allowed.some((re) => re.test(entry.text)));
  resetListeners();
  alerts.length = 0;
  forgetCaller();
  if (typeof document !== 'undefined') document.body.innerHTML = '';
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  expect(unexpected, 'console warnings/errors').toEqual([]);
});

// Registered after the check above, so (hooks run as a stack) every wrapper is unmounted before it.
enableAutoUnmount(afterEach);

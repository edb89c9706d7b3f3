/**
 * The component tests: Vue SFCs from plugin/custom mounted with @vue/test-utils in happy-dom,
 * AdminForth's SPA modules replaced by the stand-ins (aliases.ts). A project of the root config,
 * so `npm test` runs them; the rest of the suite stays in node.
 */
import vue from '@vitejs/plugin-vue';
import { defineProject } from 'vitest/config';
import { spaAliases } from './aliases.js';
import { sourceResolve } from '../helpers/source-condition.js';

export default defineProject({
  plugins: [vue()],
  resolve: { ...sourceResolve, alias: spaAliases },
  ssr: { resolve: sourceResolve },
  test: {
    name: 'ui',
    environment: 'happy-dom',
    include: ['components/**/*.test.ts'],
    setupFiles: ['setup.ts'],
  },
});

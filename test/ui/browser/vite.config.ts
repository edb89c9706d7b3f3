/**
 * The browser test's page (`test/ui/browser/index.html`): the plugin's components from
 * plugin/custom rendered the way AdminForth's SPA renders header injections, with the stand-ins
 * for the SPA modules (aliases.ts), styled with Tailwind 3 in `darkMode: 'class'` as AdminForth's
 * SPA is. Built to `.tmp/ui-browser` and served under `/ui/` from the demo app's origin.
 */
import path from 'node:path';
import vue from '@vitejs/plugin-vue';
import tailwindcss from 'tailwindcss';
import { defineConfig } from 'vite';
import { ROOT, spaAliases } from '../aliases.js';

export const OUT_DIR = path.join(ROOT, '.tmp', 'ui-browser');

export default defineConfig({
  root: path.join(ROOT, 'test/ui/browser'),
  base: '/ui/',
  logLevel: 'warn',
  plugins: [vue()],
  resolve: { alias: spaAliases },
  css: {
    postcss: {
      plugins: [
        tailwindcss({
          darkMode: 'class',
          content: [
            path.join(ROOT, 'plugin/custom/**/*.{vue,ts}'),
            path.join(ROOT, 'test/ui/browser/**/*.{vue,ts,html}'),
            path.join(ROOT, 'test/ui/stand-ins/**/*.ts'),
            path.join(ROOT, 'examples/demo/custom/**/*.vue'),
          ],
          theme: { extend: {} },
        }),
      ],
    },
  },
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 2000,
  },
});

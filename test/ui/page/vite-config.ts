/**
 * The admin page's Vite config, shared by `npm run demo` (which serves the build at `/`) and the
 * browser test (which drives that demo): the plugin's components from plugin/custom rendered the
 * way AdminForth's SPA renders header injections, with the stand-ins for the SPA modules
 * (aliases.ts), styled with Tailwind 3 in `darkMode: 'class'` as AdminForth's SPA is.
 *
 * Stands in for AdminForth's own SPA, which the test host does not build (contract §9.8).
 */
import path from 'node:path';
import vue from '@vitejs/plugin-vue';
import tailwindcss from 'tailwindcss';
import type { InlineConfig } from 'vite';
import { ROOT, spaAliases } from '../aliases.js';

export const PAGE_DIR = path.join(ROOT, 'test/ui/page');

/** Everything the build reads besides node_modules: a change to any of these rebuilds (build.ts). */
export const PAGE_SOURCES = [
  PAGE_DIR,
  path.join(ROOT, 'test/ui/stand-ins'),
  path.join(ROOT, 'test/ui/aliases.ts'),
  path.join(ROOT, 'plugin/custom'),
  path.join(ROOT, 'examples/demo/custom'),
];

export function pageViteConfig(outDir: string): InlineConfig {
  return {
    configFile: false,
    root: PAGE_DIR,
    base: '/',
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
              path.join(PAGE_DIR, '**/*.{vue,ts,html}'),
              path.join(ROOT, 'test/ui/stand-ins/**/*.ts'),
              path.join(ROOT, 'examples/demo/custom/**/*.vue'),
            ],
            theme: { extend: {} },
          }),
        ],
      },
    },
    build: {
      outDir,
      emptyOutDir: true,
      sourcemap: true,
      chunkSizeWarningLimit: 2000,
    },
  };
}

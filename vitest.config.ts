import { defineConfig } from 'vitest/config';
import { SOURCE_CONDITION, sourceResolve, withSourceCondition } from './test/helpers/source-condition.js';

// The packages of this repository (the plugin, the test host) export their TypeScript sources
// under the `af-jobs-source` condition and their build everywhere else. Tests run on the sources:
// vite resolves with the condition, and every node process a test spawns (an app, a replica, the
// CLI) inherits it through NODE_OPTIONS.
process.env.NODE_OPTIONS = withSourceCondition(process.env.NODE_OPTIONS);

export default defineConfig({
  resolve: sourceResolve,
  ssr: { resolve: { ...sourceResolve, externalConditions: [SOURCE_CONDITION] } },
  test: {
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Servers, sockets and database handles that a test leaves open keep the worker alive; vitest
    // reports them instead of hanging (see test/helpers/leaks.ts for the per-test check).
    teardownTimeout: 10_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          // test/ui: the admin UI's component tests (their own DOM project below) and the browser
          // test (`npm run test:browser`).
          exclude: ['test/ui/**', '**/node_modules/**'],
          setupFiles: ['test/helpers/leaks.ts'],
        },
      },
      'test/ui/vitest.config.ts',
    ],
  },
});

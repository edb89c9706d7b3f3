import { defineConfig } from 'vitest/config';

export default defineConfig({
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

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/leaks.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Servers, sockets and database handles that a test leaves open keep the worker alive; vitest
    // reports them instead of hanging (see test/helpers/leaks.ts for the per-test check).
    teardownTimeout: 10_000,
  },
});

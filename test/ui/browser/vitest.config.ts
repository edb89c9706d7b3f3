/**
 * `npm run test:browser`: the real-browser test (browser.test.ts). Not part of `npm test`: it
 * needs Debian's chromium (`/usr/bin/chromium`, installed by .ci/run) and builds the test page.
 */
import { defineConfig } from 'vitest/config';
import { ROOT } from '../aliases.js';
import { withSourceCondition } from '../../helpers/source-condition.js';

// The demo this test starts runs on the sources (test/helpers/source-condition.ts).
process.env.NODE_OPTIONS = withSourceCondition(process.env.NODE_OPTIONS);

export default defineConfig({
  root: ROOT,
  test: {
    name: 'browser',
    include: ['test/ui/browser/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // One file at a time: each starts a demo and a chromium, too much at once for a 2-core runner.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 10_000,
  },
});

#!/usr/bin/env node
// The af-jobs launcher: runs the TypeScript sources through tsx (a dependency), so the CLI works
// straight after `npm ci`, with no build step. Everything else starts in src/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main();

/**
 * Module aliases shared by the component tests and the browser page: AdminForth's SPA modules
 * (`@/afcl`, `@/websocket`, `@/utils`, `@/adminforth`) resolve to the stand-ins in `stand-ins/`,
 * and `@@/` (the app's own custom folder) to the demo's `examples/demo/custom`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const spaAliases = [
  { find: /^@\/(afcl|websocket|utils|adminforth)$/, replacement: path.join(ROOT, 'test/ui/stand-ins/$1.ts') },
  { find: /^@@\//, replacement: `${path.join(ROOT, 'examples/demo/custom')}/` },
];

/**
 * The folder of the af-jobs package: the one holding its package.json and templates/. Found by
 * walking up from this module, because the module sits at a different depth in the repository
 * (src/) and in the published package (a chunk of dist/).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'templates')) && fs.existsSync(path.join(dir, 'package.json'))) return (root = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`af-jobs is installed incompletely: no templates/ folder above ${fileURLToPath(import.meta.url)}; reinstall it (npm i -D af-jobs).`);
    dir = parent;
  }
}

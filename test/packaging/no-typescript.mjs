// Loaded with `node --import` by the packaging test: fails any import of a TypeScript file, so a
// `.ts` reaching run time from an installed package is an error even on a Node that could strip
// types itself.
import { register } from 'node:module';

const hooks = `
export async function load(url, context, nextLoad) {
  if (/\\.[cm]?tsx?$/.test(new URL(url).pathname)) {
    throw new Error('A TypeScript file reached run time: ' + url);
  }
  return nextLoad(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

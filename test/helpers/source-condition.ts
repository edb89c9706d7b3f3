/**
 * The export condition under which this repository's packages (the plugin, the test host) point
 * at their TypeScript sources instead of their build (dist/). The repository's tests, demo and
 * bench run with it, so they need no build step; a user's app never sets it and gets the build.
 */
export const SOURCE_CONDITION = 'af-jobs-source';

/** `NODE_OPTIONS` with `--conditions=af-jobs-source` added once. */
export function withSourceCondition(nodeOptions: string | undefined): string {
  const flag = `--conditions=${SOURCE_CONDITION}`;
  const current = nodeOptions?.trim() ?? '';
  return current.split(/\s+/).includes(flag) ? current : `${current} ${flag}`.trim();
}

/** Vite's resolve options that pick the sources: the condition first, then vite's defaults. */
export const sourceResolve = {
  conditions: [SOURCE_CONDITION, 'module', 'node', 'development|production'],
};

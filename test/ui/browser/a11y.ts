/**
 * The automated accessibility check of the browser tests: axe-core (a devDependency) injected
 * into the page and run over the whole document as it is shown. A view passes when axe finds no
 * violation of impact `serious` or `critical`; lesser ones are returned for the test to log.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface A11yViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** Runs axe on the page; returns the serious and critical violations (and the others, apart). */
export async function axeViolations(page: Page): Promise<{ serious: A11yViolation[]; minor: A11yViolation[] }> {
  if (!(await page.evaluate(() => typeof (window as any).axe === 'object'))) await page.addScriptTag({ path: AXE_PATH });
  const violations: A11yViolation[] = await page.evaluate(async () => {
    const result = await (window as any).axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v: any) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n: any) => `${n.target.join(' ')}: ${String(n.failureSummary ?? '').split('\n').slice(1, 2).join(' ').trim()}`),
    }));
  });
  const isSerious = (v: A11yViolation) => v.impact === 'serious' || v.impact === 'critical';
  return { serious: violations.filter(isSerious), minor: violations.filter((v) => !isSerious(v)) };
}

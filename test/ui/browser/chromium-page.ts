/**
 * What the browser tests share: Debian's chromium (CHROMIUM_PATH to use another), where the
 * screenshots go, and a page that records every console error or warning and page error it sees
 * (less the ones a test expects), for the test's last check.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from '../aliases.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The screenshots a person looks at (test-results/ui/NN-name.png). */
export const SHOTS = path.join(ROOT, 'test-results', 'ui');
const LAUNCH_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** Chromium and a 1440 × 960 page; console errors and warnings not `allowed`, and page errors, go into `problems`. */
export async function launchPage(allowed: RegExp[], problems: string[]): Promise<{ browser: Browser; page: Page }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  fs.mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 960 } })).newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    if (allowed.some((re) => re.test(message.text()))) return;
    problems.push(`${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { browser, page };
}

/**
 * A real headless Chromium for the console's tests: Debian's `chromium` driven by playwright-core
 * (never a downloaded browser). Missing, the tests fail with a message saying so, never skip.
 * Screenshots go to TEST_ARTIFACTS_DIR (default data/test-artifacts), kept after the run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS_DIR = process.env.TEST_ARTIFACTS_DIR ?? join(import.meta.dirname, '..', '..', 'data', 'test-artifacts');

/** `env` and `args` add to the browser's environment and flags (e.g. a Kerberos ticket cache and the servers it may be offered to). */
export async function launchChromium(options: { env?: Record<string, string>; args?: string[] } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: the console's tests run in Debian's chromium (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
    // WebGL (the 3D view) in software: SwiftShader, as there is no GPU.
    args: ['--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...(options.args ?? [])],
  });
}

/** A page at 1366x768 (the smallest screen the console is for), and the script errors it raised. */
export async function consolePage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return { page, errors };
}

/** Saves a screenshot of the page as `<name>.png` among the test artifacts; its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

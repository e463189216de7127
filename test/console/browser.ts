// Headless Chromium for the console's browser tests: Debian's `chromium` package (CHROMIUM_PATH overrides
// where it is), driven by puppeteer-core. Without it the tests are skipped, except with CI=true, where a
// missing browser is a failure (.ci/run installs it). With CONSOLE_SCREENSHOTS=1 (`npm run screenshots`)
// the tests save a screenshot of each view into infra/local/console/screenshots/.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const chromiumPath: string | undefined = process.env.CHROMIUM_PATH
  ? process.env.CHROMIUM_PATH
  : CANDIDATES.find((p) => existsSync(p));

/** Why the browser tests cannot run here, or undefined when they can. */
export const missingBrowser = chromiumPath
  ? undefined
  : `no Chromium found (${CANDIDATES.join(', ')}; set CHROMIUM_PATH): apt-get install -y chromium`;

export async function launch(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
}

export const SCREENSHOT_DIR = path.resolve(
  fileURLToPath(new URL('../../infra/local/console/screenshots/', import.meta.url)),
);

/** Saves `infra/local/console/screenshots/<name>.png` when screenshots were asked for (CONSOLE_SCREENSHOTS=1). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.CONSOLE_SCREENSHOTS !== '1') return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: false });
}

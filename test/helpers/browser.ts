// Debian's Chromium driven by playwright-core (browsers cannot be downloaded here).
// Without a Chromium the e2e tests skip, unless E2E_REQUIRED=1 (CI) makes that a failure.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(__dirname, '../artifacts');

export function chromiumAvailable(): boolean {
  const present = fs.existsSync(CHROMIUM);
  if (!present && process.env.E2E_REQUIRED === '1') {
    throw new Error(`E2E_REQUIRED=1 but no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  }
  return present;
}

export function h5BuildAvailable(root: string): boolean {
  const present = fs.existsSync(path.join(root, 'dist/h5/index.html'));
  if (!present && process.env.E2E_REQUIRED === '1') throw new Error('E2E_REQUIRED=1 but dist/h5 is missing (npm run build:h5)');
  return present;
}

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A phone-sized page; console errors are collected for assertions. */
export async function newPhonePage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

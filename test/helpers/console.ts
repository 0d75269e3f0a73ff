// The operators' console in Chromium at 1440×900 against the whole local stack (the built
// dist/console served at /console/ by the H5 server): roles for the demo members, a desktop page,
// the console's dev login, and calls as a member through the API (what the mini-program does).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestDb } from './db';
import { DEMO, seedShop, type Shop } from './app';
import { ANON_KEY } from './gateway';
import { ROOT } from './stack';

export const FINANCE = { id: '00000000-0000-4000-8000-000000000004', code: 'DEMO0004', nickname: '演示会员四' } as const;

export function consoleBuildAvailable(): boolean {
  const present = fs.existsSync(path.join(ROOT, 'dist/console/index.html'));
  if (!present && process.env.E2E_REQUIRED === '1') throw new Error('E2E_REQUIRED=1 but dist/console is missing (npm run build:console)');
  return present;
}

/** seedShop, plus the console roles of the local seed: 一 超级管理员, 二 运营, 四 财务, 三 店主 of the shop's store. */
export async function seedConsole(db: TestDb): Promise<Shop> {
  const shop = await seedShop(db);
  await db.admin.query(`insert into auth.users (id) values ($1)`, [FINANCE.id]);
  await db.admin.query(`insert into rebate.members (id, openid, member_code, nickname) values ($1, 'e2e-openid-4', $2, $3)`,
    [FINANCE.id, FINANCE.code, FINANCE.nickname]);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations'), ($2, 'finance')`, [DEMO.two.id, FINANCE.id]);
  await db.admin.query(`update rebate.stores set owner_member_id = $2 where id = $1`, [shop.storeId, DEMO.three.id]);
  return shop;
}

export async function newDesktopPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'zh-CN', acceptDownloads: true, timezoneId: 'Asia/Shanghai' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors };
}

const LABELS: Record<string, string> = { DEMO0001: '演示会员一', DEMO0002: '演示会员二', DEMO0003: '演示会员三', DEMO0004: '演示会员四' };

/** Opens the console and signs in with the local dev login of a demo member. */
export async function consoleLogin(page: Page, h5Url: string, memberCode: string): Promise<void> {
  await page.goto(`${h5Url}/console/`);
  await page.getByRole('button', { name: new RegExp(LABELS[memberCode]) }).click();
  await page.getByTestId('console-user').waitFor({ timeout: 20000 });
}

export async function gotoConsole(page: Page, route: string): Promise<void> {
  await page.evaluate((r) => { window.location.hash = `#/${r}`; }, route);
}

/** The menu items the signed-in member sees. */
export async function menuItems(page: Page): Promise<string[]> {
  return (await page.locator('.ant-menu-item').allInnerTexts()).map((t) => t.trim());
}

/** POST to the stack's API (rest or functions) with a token, as a client would. */
export async function api(baseUrl: string, p: string, body: unknown, token = ANON_KEY) {
  const res = await fetch(`${baseUrl}${p}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as any };
}

/** A member's token from the local dev login (what the mini-program holds after logging in). */
export async function memberToken(baseUrl: string, memberCode: string): Promise<string> {
  const r = await api(baseUrl, '/functions/v1/dev-login', { member_code: memberCode });
  if (r.status !== 200) throw new Error(`dev-login ${memberCode}: ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

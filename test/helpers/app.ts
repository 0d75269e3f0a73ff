// Helpers for the client e2e tests (H5 build in Chromium): demo data in the test database,
// a touch-capable phone page, login, and payment while the local dev-pay function is missing.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { TestDb } from './db';
import { ROOT } from './stack';

export const DEMO = {
  one: { id: '00000000-0000-4000-8000-000000000001', code: 'DEMO0001', nickname: '演示会员一', testId: 'demo-login-1' },
  two: { id: '00000000-0000-4000-8000-000000000002', code: 'DEMO0002', nickname: '演示会员二', testId: 'demo-login-2' },
  three: { id: '00000000-0000-4000-8000-000000000003', code: 'DEMO0003', nickname: '演示会员三', testId: 'demo-login-3' },
} as const;

export interface Shop {
  productId: number;
  storeId: number;
  cashierCode: string;
}

/**
 * The programme switched on (reward 100%, extraction 10%: SPEC §1 example A), one mall
 * product of ¥100.00 earning a rebate (with its picture shipped in the app), one approved store with its cashier, three demo members.
 */
export async function seedShop(db: TestDb): Promise<Shop> {
  await db.admin.query(`
    insert into auth.users (id) values ($1), ($2), ($3);
    insert into rebate.members (id, openid, member_code, nickname, is_admin) values
      ($1, 'e2e-openid-1', 'DEMO0001', '演示会员一', true),
      ($2, 'e2e-openid-2', 'DEMO0002', '演示会员二', false),
      ($3, 'e2e-openid-3', 'DEMO0003', '演示会员三', false);
    update rebate.settings set enabled = true, default_reward_bps = 10000, extraction_bps = 1000, display_name = '共享链';
  `.replace(/\$(\d)/g, (_, n) => `'${[DEMO.one.id, DEMO.two.id, DEMO.three.id][Number(n) - 1]}'`));
  const product = await db.admin.query(
    `insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, image_path) values ('E2E-TEA', 'self', '明前龙井', 10000, true, '/assets/products/tea.png') returning id`);
  const store = await db.admin.query(`insert into rebate.stores (code, name, status) values ('CAFE01', '街角咖啡', 'approved') returning id`);
  await db.admin.query(`insert into rebate.cashiers (store_id, code) values ($1, 'CASH01')`, [store.rows[0].id]);
  return { productId: Number(product.rows[0].id), storeId: Number(store.rows[0].id), cashierCode: 'CASH01' };
}

/**
 * Which of these public functions the schema does not define yet (read from supabase/schemas, so
 * a test can be skipped at collection time while the backend for it has not landed).
 */
export function missingRpcs(names: string[]): string[] {
  const dir = path.join(ROOT, 'supabase/schemas');
  const sql = fs.readdirSync(dir).filter((f) => f.endsWith('.sql')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('\n');
  return names.filter((n) => !new RegExp(`function\\s+public\\.${n}\\s*\\(`, 'i').test(sql));
}

export function functionExists(name: string): boolean {
  return fs.existsSync(path.join(ROOT, 'supabase/functions', name, 'index.ts'));
}

/**
 * The H5 demo pays with the local edge function dev-pay ({order_id} → the paid order). Where
 * it is missing, the browser's call is answered here the same way: mark_order_paid as service_role.
 */
export async function stubDevPayIfMissing(page: Page, db: TestDb): Promise<void> {
  if (functionExists('dev-pay')) return;
  await page.route('**/functions/v1/dev-pay', async (route) => {
    if (route.request().method() === 'OPTIONS') return route.fulfill({ status: 204, headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': '*' } });
    const { order_id: orderId } = JSON.parse(route.request().postData() ?? '{}') as { order_id?: number };
    const [order] = await db.call('service_role', null, `select o.order_no, o.pay_fen, o.member_id from rebate.orders o where o.id = $1`, [orderId]);
    await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [order.order_no, `DEV-${order.order_no}`, order.pay_fen]);
    const [after] = await db.call('authenticated', order.member_id, `select to_jsonb(public.my_order($1)) as o`, [orderId]);
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(after.o) });
  });
}

/** A phone-sized page that can be tapped (the NutUI keypad listens to touch events). */
export async function newTouchPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, locale: 'zh-CN', hasTouch: true, isMobile: true,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return { page, errors };
}

/** Open a page of the H5 app (hash routing) and sign in as a demo member if asked to. */
export async function openAs(page: Page, h5Url: string, route: string, member: { testId: string } | null): Promise<void> {
  await page.goto(`${h5Url}/#${route}`);
  if (!member) return;
  const login = page.getByTestId(member.testId);
  await page.locator(`[data-testid="${member.testId}"], [data-testid="status"]`).first().waitFor({ timeout: 20000 });
  if (await login.count()) await login.click();
}

/** Raw codes and English error text must never reach users. */
export async function expectNoRawErrors(page: Page): Promise<void> {
  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/P0001|PGRST|42501|[a-z]+_[a-z]+_[a-z_]+|undefined|NaN|\[object Object\]/);
}

/** Runs a browser test body; on failure keeps a screenshot of the moment (test/artifacts/failed-<name>.png). */
export async function shotOnFailure(page: Page, name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const { screenshot } = await import('./browser');
    await screenshot(page, `failed-${name}`).catch(() => undefined);
    throw error;
  }
}

/** 确认订单 on H5: fill the delivery address form and save it. */
export async function fillAddress(page: Page, a = { name: '张三', phone: '13800138000', region: '浙江省 杭州市 西湖区', detail: '文三路 100 号' }): Promise<void> {
  const top = page.locator('.taro_page').filter({ visible: true }).last();
  for (const [k, v] of Object.entries(a)) await top.getByTestId(`address-${k}`).locator('input').fill(v);
  await top.getByTestId('address-save').click();
  await top.getByTestId('address-who').waitFor({ timeout: 20000 });
}

/**
 * Clicks once the element stays put: a list that re-renders right after loading (a background
 * refresh, a read mark) can detach the button or cover it for a moment; try again briefly.
 */
export async function clickWhenSettled(locator: import('playwright-core').Locator, attempts = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await locator.click({ timeout: 4000 });
      return;
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

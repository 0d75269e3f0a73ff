// Cashier payment (收银台买单) on the H5 build: a store's cashier code opens the cashier page
// with its scene (c=<cashier code>); the member types the amount on the NutUI keypad, pays
// with the local dev payment, and sees the new entry in the cashier queue.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, stubDevPayIfMissing, type Shop } from '../helpers/app';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

/** Tap keys of the NutUI number keyboard (it listens to touch events). */
async function typeOnKeypad(page: Page, keys: string): Promise<void> {
  const keyboard = page.locator('.nut-numberkeyboard').filter({ visible: true });
  for (const key of keys) {
    const label = key === '.' ? '\\.' : key;
    await keyboard.locator('.key').filter({ hasText: new RegExp(`^${label}$`) }).first().tap();
  }
}

describeE2E('cashier payment by scene (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('scan scene c=<cashier code>, type the amount, pay, see the entry', async () => {
    const { page, errors } = await newTouchPage(browser);
    await stubDevPayIfMissing(page, db);
    await shotOnFailure(page, 'cashier', async () => {
      await openAs(page, stack.h5Url, `/packages/cashier/index?scene=${encodeURIComponent(`c=${shop.cashierCode}`)}`, DEMO.two);
      await expect(top(page).getByTestId('cashier-store').innerText()).resolves.toBe('街角咖啡');
      await expect(top(page).getByTestId('cashier-amount').innerText()).resolves.toBe('0.00');

      await typeOnKeypad(page, '128.505'); // the third decimal is refused
      await expect(top(page).getByTestId('cashier-amount').innerText()).resolves.toBe('128.50');
      await page.locator('.nut-numberkeyboard .key.delete').first().tap();
      await expect(top(page).getByTestId('cashier-amount').innerText()).resolves.toBe('128.5');
      await expect(top(page).getByTestId('cashier-pay').innerText()).resolves.toContain('¥128.50');
      // the server's preview confirms the local figure (no 约 once confirmed)
      await top(page).getByTestId('cashier-entitlement').filter({ hasText: /^预计获得待返权益 ¥128\.50$/ }).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('cashier-preview').innerText()).resolves.toContain('奖励比例 100%（默认比例）');
      await screenshot(page, 'cashier-amount');

      // pay with the keypad's own 买单 key
      await page.locator('.nut-numberkeyboard .key.confirm').filter({ visible: true }).first().tap();
      await top(page).getByTestId('cashier-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('cashier-entry').innerText()).resolves.toContain('待返权益 ¥128.50');
      await screenshot(page, 'cashier-paid');

      await top(page).getByTestId('open-queue').click();
      const entry = top(page).getByTestId('entry-card').first();
      await entry.waitFor({ timeout: 20000 });
      await expect(entry.getByTestId('entry-item').innerText()).resolves.toBe('街角咖啡 买单');
      await expect(entry.getByTestId('entry-entitlement').innerText()).resolves.toBe('¥128.50');
      await expect(entry.getByTestId('entry-position').innerText()).resolves.toContain('第 1 位');
      await screenshot(page, 'cashier-entry');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);

    const [order] = await db.admin.query(`select channel, status, pay_fen from rebate.orders`).then((r) => r.rows);
    expect(order).toEqual({ channel: 'cashier', status: 'paid', pay_fen: '12850' });
  });

  test('a code that is no cashier gets a Chinese explanation', async () => {
    const { page } = await newTouchPage(browser);
    await openAs(page, stack.h5Url, `/packages/cashier/index?scene=${encodeURIComponent('c=NOSUCH1')}`, DEMO.two);
    await top(page).getByTestId('error').waitFor({ timeout: 20000 });
    await expect(top(page).getByTestId('error').innerText()).resolves.toContain('收银台不存在或已停用');
    await expectNoRawErrors(page);
  });

  test('without a code, the member picks a store', async () => {
    const { page } = await newTouchPage(browser);
    await openAs(page, stack.h5Url, '/packages/cashier/index', DEMO.two);
    await top(page).locator('.nut-cell', { has: page.getByTestId('store-option') }).first().click();
    await expect(top(page).getByTestId('cashier-store').innerText()).resolves.toBe('街角咖啡');
  });
});

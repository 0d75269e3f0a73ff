// 分红池 in the built console (Chromium 1440×900, the whole local stack), union mode (SPEC §13):
// the pool per day with its payout log, the union queue with the owed total and coverage; the
// union settings in 排队返利设置, and the mode switch refused in Chinese while entries wait.
import type { Browser } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, shotOnFailure } from '../helpers/app';
import { buy, createProduct, reconcile } from '../helpers/engine';
import { closeDay, dayOf, enableUnion } from '../helpers/union';
import { consoleBuildAvailable, consoleLogin, gotoConsole, newDesktopPage, seedConsole } from '../helpers/console';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;

describeE2E('分红池 in the console (union mode)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    const shop = await seedConsole(db);
    await enableUnion(db);
    const big = await createProduct(db, { priceFen: 100000, name: '茶具礼盒' });
    await buy(db, DEMO.three.id, shop.productId);   // 110.00, paid on day 1
    await buy(db, DEMO.one.id, big);                // 1100.00 waits
    await closeDay(db, -2);                         // pool 660.00: pays 110.00, carry 550.00
    await buy(db, DEMO.three.id, shop.productId);   // 110.00 waits behind
    await closeDay(db, -1);                         // 550.00 + 60.00 < 1100.00: nothing, carry 610.00
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 120000);
  afterAll(async () => {
    expect(await reconcile(db)).toEqual([]);
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('the pool per day, its payout log, the union queue with owed total and coverage', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-union', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'union');
      await page.getByTestId('page-union').waitFor({ timeout: 20000 });
      await expect(page.getByTestId('union-carry').innerText()).resolves.toContain('¥610.00');
      await expect(page.getByTestId('union-waiting').innerText()).resolves.toContain('2');
      await expect(page.getByTestId('union-owed').innerText()).resolves.toContain('¥1,210.00');
      // average pool (660.00 + 60.00) / 2 = 360.00: (1210.00 − 610.00) / 360.00 → 2 days
      await expect(page.getByTestId('union-coverage').innerText()).resolves.toContain('2 天');
      const days = page.getByTestId('union-days').locator('tbody tr');
      await expect(days.count()).resolves.toBe(2);
      await expect(days.nth(1).innerText()).resolves.toMatch(/¥660\.00[\s\S]*¥110\.00\s+1\s+¥550\.00/);
      await page.locator('[data-testid="pool-chart"] canvas').first().waitFor();
      await page.getByTestId(`union-log-${await dayOf(db, -2)}`).click();
      const log = page.getByTestId('union-log').locator('tbody tr');
      await log.first().waitFor();
      await expect(log.count()).resolves.toBe(1);
      await expect(log.first().innerText()).resolves.toContain('演示会员三');
      await screenshot(page, 'console-union-log');
      await page.keyboard.press('Escape');
      const queue = page.getByTestId('union-queue').locator('tbody tr');
      await expect(queue.count()).resolves.toBe(2);
      await expect(queue.first().innerText()).resolves.toMatch(/^1\s+演示会员一/);
      await screenshot(page, 'console-union');
    });
    expect(errors).toEqual([]);
  });

  test('排队返利设置: the union settings, and the mode switch refused while entries wait', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-union-settings', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'settings');
      await page.getByTestId('page-settings').waitFor({ timeout: 20000 });
      const quota = page.locator('[data-testid="setting-union_quota_bps"] input, input[data-testid="setting-union_quota_bps"]').first();
      await expect(quota.inputValue()).resolves.toBe('110.00');
      await page.locator('[data-testid="setting-programme_mode"]').first().click();
      await page.locator('.ant-select-item-option').filter({ hasText: '排队返利（经典）' }).click();
      await page.getByTestId('settings-save').click();
      await page.getByTestId('settings-error').waitFor();
      expect(await page.getByTestId('settings-error').innerText()).toContain('还有排队中的名额，不能切换运营模式');
      await screenshot(page, 'console-union-settings');
    });
    expect((await db.admin.query(`select programme_mode from rebate.settings`)).rows[0].programme_mode).toBe('union');
    expect(errors).toEqual([]);
  });
});

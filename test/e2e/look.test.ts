// Look and feel on the H5 build: the tab bar's icons are the app's own PNGs (selected in the
// accent), the title bar shows each page's title with 返回 on sub-pages (首页 when a sub-page is
// opened directly), and a list that is loading shows its skeleton, not a blank page.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure } from '../helpers/app';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();
const bar = (page: Page) => page.locator('#taro-navigation-bar');

describeE2E('tab bar, title bar and skeletons (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    await seedShop(db);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('tab icons, the title bar with 返回, and the skeleton while a list loads', async () => {
    const { page, errors } = await newTouchPage(browser);
    const outside: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(stack.h5Url) && !r.url().startsWith('data:')) outside.push(r.url()); });
    await shotOnFailure(page, 'look', async () => {
      await openAs(page, stack.h5Url, '/pages/member/index', DEMO.two);
      await top(page).getByTestId('link-wallet').waitFor({ timeout: 20000 });
      // three icons, drawn (81 × 81), the selected tab's in the accent
      const icons = page.locator('.weui-tabbar__icon');
      await expect(icons.count()).resolves.toBe(3);
      await page.waitForFunction(() => [...document.querySelectorAll('.weui-tabbar__icon')].every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth === 81));
      const sources = await icons.evaluateAll((els) => els.map((e) => (e as HTMLImageElement).src));
      expect(new Set(sources).size).toBe(3);
      // a tab page: its title, no back button
      await expect(bar(page).locator('.taro-navigation-bar-title').innerText()).resolves.toBe('我的');
      await expect(bar(page).getAttribute('class')).resolves.not.toMatch(/back-icon|home-icon/);

      // the wallet's ledger is held back: the page shows its skeleton meanwhile
      let release!: () => void;
      const held = new Promise<void>((resolve) => { release = resolve; });
      await page.route('**/rest/v1/rpc/my_wallet', async (route) => { await held; await route.continue(); });
      await top(page).locator('.nut-cell').filter({ hasText: '我的钱包' }).click();
      await top(page).getByTestId('list-skeleton').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('list-skeleton').locator('.nut-skeleton').count()).resolves.toBeGreaterThanOrEqual(3);
      await screenshot(page, 'skeleton-wallet');
      release();
      await top(page).getByTestId('open-transfer').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('list-skeleton').count()).resolves.toBe(0);

      // a sub-page: its title and 返回, which goes back to 我的
      await expect(bar(page).locator('.taro-navigation-bar-title').innerText()).resolves.toBe('我的钱包');
      await expect(bar(page).getAttribute('class')).resolves.toMatch(/taro-navigation-bar-back-icon/);
      await screenshot(page, 'title-bar-back');
      await bar(page).locator('.taro-navigation-bar-back').click();
      await top(page).getByTestId('link-wallet').waitFor({ timeout: 20000 });
      await expect(bar(page).locator('.taro-navigation-bar-title').innerText()).resolves.toBe('我的');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
    expect(outside).toEqual([]);

    // a sub-page opened directly (a shared link): 首页 instead of 返回
    const direct = await newTouchPage(browser);
    await openAs(direct.page, stack.h5Url, '/packages/shop/orders/index', DEMO.two);
    await top(direct.page).getByTestId('status').or(top(direct.page).getByTestId('empty')).first().waitFor({ timeout: 20000 });
    await expect(bar(direct.page).locator('.taro-navigation-bar-title').innerText()).resolves.toBe('我的订单');
    await expect(bar(direct.page).getAttribute('class')).resolves.toMatch(/taro-navigation-bar-home-icon/);
  });
});

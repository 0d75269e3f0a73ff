// Stores in the mall on the H5 build against the real backend: 逛门店 → a store → its online
// products → 确认订单 (store channel, no address needed) → paid, joining the store's queue.
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

describeE2E('stores in the mall (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    await db.admin.query(
      `insert into rebate.products (sku, kind, store_id, name, price_fen, rebate_enabled) values ('E2E-LATTE', 'store', $1, '拿铁', 2800, true)`,
      [shop.storeId]);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('buy a store product through the same checkout', async () => {
    const { page, errors } = await newTouchPage(browser);
    await stubDevPayIfMissing(page, db);
    await shotOnFailure(page, 'stores', async () => {
      await openAs(page, stack.h5Url, '/pages/mall/index', DEMO.two);
      await top(page).getByTestId('product-card').first().waitFor({ timeout: 20000 });
      await top(page).getByTestId('open-stores').click();
      await top(page).getByTestId('store-card').filter({ hasText: '街角咖啡' }).click();
      await top(page).getByTestId('store-product').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('store-title').innerText()).resolves.toBe('街角咖啡');
      await screenshot(page, 'store-page');
      await top(page).getByTestId('store-product').filter({ hasText: '拿铁' }).click();
      await top(page).getByTestId('detail-name').waitFor({ timeout: 20000 });
      await top(page).getByTestId('buy-now').click();
      await top(page).getByTestId('checkout-entitlement').waitFor({ timeout: 20000 });
      // a store order needs no delivery address
      await expect(top(page).getByTestId('address-empty').innerText()).resolves.toContain('选填');
      await expect(top(page).getByTestId('sum-pay').innerText()).resolves.toBe('¥28.00');
      await top(page).getByTestId('place-order').click();
      await top(page).getByTestId('pay-success').waitFor({ timeout: 20000 });
      await expectNoRawErrors(page);
    });
    const { rows } = await db.admin.query(
      `select o.channel, o.store_id::int, q.scope from rebate.orders o join rebate.order_lines l on l.order_id = o.id
         join rebate.queues q on q.id = l.queue_id where o.member_id = $1`, [DEMO.two.id]);
    expect(rows).toEqual([{ channel: 'store', store_id: shop.storeId, scope: expect.stringMatching(/store/) }]);
    expect(errors).toEqual([]);
  });
});

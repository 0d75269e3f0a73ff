// 申请退款 on the H5 build against the real backend: from a paid order, choose lines, see the
// refundable amount (SPEC §10: what the entry already received is kept back), give a reason,
// submit; the request's states (审核中, 已撤销, 已退款 once the platform refunds) and the 退款售后 tab.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, type Shop } from '../helpers/app';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

async function buys(memberId: string, lines: Array<{ product_id: number; quantity: number }>) {
  const [{ o }] = await db.call('authenticated', memberId, `select to_jsonb(public.create_order($1::jsonb)) as o`,
    [JSON.stringify({ channel: 'mall', lines })]);
  await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [o.order_no, `E2E-${o.order_no}`, o.pay_fen]);
  return o as { order_id: number; order_no: string };
}

describeE2E('refund request (H5)', () => {
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

  test('request a refund of one line: the received rebate kept back, withdraw, request again, refunded', async () => {
    const [{ id: cup }] = (await db.admin.query(
      `insert into rebate.products (sku, kind, name, price_fen, rebate_enabled) values ('E2E-CUP', 'self', '青瓷茶杯', 5000, true) returning id::int`)).rows;
    const order = await buys(DEMO.two.id, [{ product_id: shop.productId, quantity: 1 }, { product_id: cup, quantity: 1 }]);
    // another member's order pays ¥10.00 to DEMO two's tea entry
    await buys(DEMO.three.id, [{ product_id: shop.productId, quantity: 1 }]);
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'refund', async () => {
      await openAs(page, stack.h5Url, `/packages/shop/order/index?id=${order.order_id}`, DEMO.two);
      await top(page).getByTestId('open-refund').click();
      await top(page).getByTestId('refund-line').nth(1).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('refund-line-amount').allInnerTexts()).resolves.toEqual(['¥90.00', '¥50.00']);
      await expect(top(page).getByTestId('refund-line').first().innerText()).resolves.toContain('已返 ¥10.00（从退款中扣除）');
      await expect(top(page).getByTestId('refund-total').innerText()).resolves.toBe('¥140.00');
      // only the cup
      await top(page).getByTestId('refund-line').first().click();
      await expect(top(page).getByTestId('refund-total').innerText()).resolves.toBe('¥50.00');
      await top(page).getByTestId('refund-reason').filter({ hasText: '商品质量问题' }).click();
      await top(page).getByTestId('refund-detail').locator('textarea').fill('杯口有裂纹');
      await screenshot(page, 'refund-request');
      await top(page).getByTestId('refund-submit').click();
      await top(page).getByTestId('refund-request').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('refund-status').innerText()).resolves.toBe('审核中');
      await expect(top(page).getByTestId('refund-request').innerText()).resolves.toContain('原因：商品质量问题：杯口有裂纹');
      // the cup is in a pending request; the tea can still be chosen, but one request at a time
      await top(page).getByTestId('refund-withdraw').click();
      await top(page).getByTestId('refund-status').filter({ hasText: '已撤销' }).waitFor({ timeout: 20000 });
      await top(page).getByTestId('refund-line').first().click(); // deselect tea again (all open lines are chosen after a reload)
      await top(page).getByTestId('refund-reason').filter({ hasText: '不想要了' }).click();
      await top(page).getByTestId('refund-submit').click();
      await top(page).getByTestId('refund-status').filter({ hasText: '审核中' }).waitFor({ timeout: 20000 });
      await expectNoRawErrors(page);
    });
    const { rows } = await db.admin.query(`select line_nos, reason, status, refundable_fen::int from rebate.refund_requests order by id`);
    expect(rows).toEqual([
      { line_nos: [2], reason: '商品质量问题：杯口有裂纹', status: 'cancelled', refundable_fen: 5000 },
      { line_nos: [2], reason: '不想要了', status: 'pending', refundable_fen: 5000 }]);
    // the platform refunds the cup: the request is answered
    await db.call('service_role', null, `select public.refund_order($1, 'RF-E2E-1', array[2])`, [order.order_no]);
    await shotOnFailure(page, 'refund-done', async () => {
      await page.reload();
      await top(page).getByTestId('refund-status').filter({ hasText: '已退款' }).waitFor({ timeout: 20000 });
      await screenshot(page, 'refund-states');
      await page.goto(`${stack.h5Url}/#/packages/shop/orders/index?tab=after_sales`);
      await top(page).getByTestId('order-card').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('order-card').count()).resolves.toBe(1);
    });
    expect(errors).toEqual([]);
  });
});

// A refund through WeChat Pay from both ends, in Chromium against the whole local stack with the
// fake WeChat Pay: the member pays through pay-order and the fake's notification, asks for a
// refund of one line in the H5 mini-program (申请退款), finance (财务) approves it in the built
// console (退款售后 → 同意退款), the fake refunds it and notifies pay-notify, and the member sees
// 已退款, the refund message and the voided entry (已失效). reconcile() clean.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, shotOnFailure, type Shop } from '../helpers/app';
import { api, consoleBuildAvailable, consoleLogin, FINANCE, gotoConsole, memberToken, newDesktopPage, seedConsole } from '../helpers/console';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

/** An order paid the production way: pay-order (prepay at the fake), then the fake's TRANSACTION.SUCCESS. */
async function paidThroughWechat(memberCode: string, lines: Array<{ product_id: number; quantity: number }>) {
  const token = await memberToken(stack.gateway.url, memberCode);
  const created = await api(stack.gateway.url, '/rest/v1/rpc/create_order', { p_order: { channel: 'mall', lines } }, token);
  expect(created.status).toBe(200);
  const order = created.body as { order_id: number; order_no: string };
  expect((await api(stack.gateway.url, '/functions/v1/pay-order', { order_id: order.order_id }, token)).status).toBe(200);
  expect((await stack.wechat.payOrder(order.order_no)).attempts[0].status).toBe(204);
  return order;
}

describeE2E('refund through WeChat Pay: member asks (H5), finance approves (console)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedConsole(db);
    stack = await startTestStack(db, { pay: true });
    stack.wechat.pay.refunds.successDelayMs = 300;
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('申请退款 → 同意退款 → WeChat refunds and notifies → 已退款 and the entry 已失效', async () => {
    const [{ id: cup }] = (await db.admin.query(
      `insert into rebate.products (sku, kind, name, price_fen, rebate_enabled) values ('E2E-WX-CUP', 'self', '青瓷茶杯', 5000, true) returning id::int`)).rows;
    const order = await paidThroughWechat(DEMO.two.code, [{ product_id: shop.productId, quantity: 1 }, { product_id: cup, quantity: 1 }]);

    // the member asks for the cup back
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'wx-refund-request', async () => {
      await openAs(page, stack.h5Url, `/packages/shop/order/index?id=${order.order_id}`, DEMO.two);
      await top(page).getByTestId('open-refund').click();
      await top(page).getByTestId('refund-line').nth(1).waitFor({ timeout: 20000 });
      await top(page).getByTestId('refund-line').first().click(); // only the cup
      await expect(top(page).getByTestId('refund-total').innerText()).resolves.toBe('¥50.00');
      await top(page).getByTestId('refund-reason').filter({ hasText: '商品质量问题' }).click();
      await top(page).getByTestId('refund-submit').click();
      await top(page).getByTestId('refund-status').filter({ hasText: '审核中' }).waitFor({ timeout: 20000 });
    });
    const [{ id: requestId }] = (await db.admin.query(`select id::int from rebate.refund_requests where order_id = $1`, [order.order_id])).rows;

    // finance approves it in the console
    const desk = await newDesktopPage(browser);
    await shotOnFailure(desk.page, 'wx-refund-console', async () => {
      await consoleLogin(desk.page, stack.h5Url, FINANCE.code);
      await gotoConsole(desk.page, 'refunds');
      await desk.page.getByTestId('page-refunds').waitFor();
      await desk.page.getByTestId(`approve-r-${requestId}`).click();
      await desk.page.getByText('已同意，退款中：退款 ¥50.00').waitFor({ timeout: 20000 });
    });

    // WeChat pays the money back and notifies pay-notify (the fake, after successDelayMs)
    const [refund] = (await db.admin.query(`select out_refund_no from rebate.wechat_refunds where request_id = $1`, [requestId])).rows;
    const sent = await waitForNotification(refund.out_refund_no);
    expect(await sent.delivered).toBe(true);
    expect(stack.wechat.pay.refunds.get(refund.out_refund_no)).toMatchObject({ status: 'SUCCESS', amount: { refund: 5000, total: 15000 } });
    expect((await db.admin.query(`select status, refund_fen::int from rebate.wechat_refunds where request_id = $1`, [requestId])).rows)
      .toEqual([{ status: 'success', refund_fen: 5000 }]);
    expect((await db.admin.query(`select status, refunded_fen::int from rebate.orders where id = $1`, [order.order_id])).rows)
      .toEqual([{ status: 'paid', refunded_fen: 5000 }]);

    await shotOnFailure(desk.page, 'wx-refund-console-done', async () => {
      await desk.page.getByRole('tab', { name: '退款记录' }).click();
      await desk.page.locator('.ant-segmented-item').filter({ hasText: '已退款' }).click();
      await desk.page.getByTestId(`refund-state-${refund.out_refund_no}`).filter({ hasText: '已退款' }).waitFor({ timeout: 20000 });
      await screenshot(desk.page, 'console-refunds');
    });

    // the member sees the refund and the voided entry
    await shotOnFailure(page, 'wx-refund-member', async () => {
      await page.reload();
      await top(page).getByTestId('refund-status').filter({ hasText: '已退款' }).waitFor({ timeout: 20000 });
      await screenshot(page, 'refund-wechat-member');
      await page.goto(`${stack.h5Url}/#/pages/index/index`);
      await top(page).locator('.nut-tabs-titles-item').filter({ hasText: '已失效' }).click();
      await top(page).getByTestId('entry-card').filter({ hasText: '青瓷茶杯' }).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('entry-status').allInnerTexts()).resolves.toEqual(['已失效']);
      await screenshot(page, 'refund-wechat-voided');
      await expectNoRawErrors(page);
    });
    const [msg] = (await db.admin.query(`select title, body from rebate.messages where member_id = $1 and kind = 'refund_done'`, [DEMO.two.id])).rows;
    expect(msg).toEqual({ title: '退款成功', body: `订单${order.order_no}退款¥50.00已原路退回` });
    expect((await db.admin.query(`select * from public.reconcile()`)).rows).toEqual([]);
    expect(errors).toEqual([]);
    expect(desk.errors).toEqual([]);
  });

  test('订单: 财务 refunds one line from the order page; what its entry received is kept back; WeChat refunds; the entry 已失效', async () => {
    const [{ id: pot }] = (await db.admin.query(
      `insert into rebate.products (sku, kind, name, price_fen, rebate_enabled) values ('E2E-WX-POT', 'self', '紫砂壶', 8000, true) returning id::int`)).rows;
    const order = await paidThroughWechat(DEMO.three.code, [{ product_id: shop.productId, quantity: 1 }, { product_id: pot, quantity: 1 }]);
    await paidThroughWechat(DEMO.one.code, [{ product_id: pot, quantity: 3 }]);   // later orders pay the queue's head
    const entry = async () => (await db.admin.query(
      `select e.status, e.received_fen::int from rebate.entries e join rebate.order_lines l on l.id = e.line_id
        where l.order_id = $1 and l.line_no = 2`, [order.order_id])).rows[0];
    const before = await entry();
    expect(before).toMatchObject({ status: 'waiting' });
    expect(before.received_fen).toBeGreaterThan(0);   // the later order paid part of it
    const [{ p }] = await db.call('authenticated', FINANCE.id, `select to_jsonb(public.console_refund_preview($1, '{2}')) as p`, [order.order_no]);
    expect(p.clawback_fen).toBe(before.received_fen);
    expect(p.refund_fen).toBe(8000 - before.received_fen);

    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-order-refund-line', async () => {
      await consoleLogin(page, stack.h5Url, FINANCE.code);
      await gotoConsole(page, 'orders');
      await page.getByTestId('page-orders').waitFor();
      await page.getByPlaceholder('订单号').fill(order.order_no);
      await page.getByPlaceholder('订单号').press('Enter');
      await page.getByRole('row').filter({ hasText: order.order_no }).getByRole('button', { name: /详\s*情/ }).click();
      await page.getByRole('row').filter({ hasText: '紫砂壶' }).getByRole('checkbox').check();
      await page.getByTestId('refund-preview').click();
      await expect(page.getByTestId('refund-preview-table').innerText()).resolves
        .toContain(`可退 ¥${(p.refund_fen / 100).toFixed(2)}，扣回已返 ¥${(p.clawback_fen / 100).toFixed(2)}`);
      await page.getByTestId('refund-execute').click();
      await page.getByTestId('reason-input').fill('顾客退回紫砂壶');
      await page.getByRole('button', { name: /确\s*定/ }).click();
      await page.getByTestId('refund-result').waitFor({ timeout: 20000 });
      await screenshot(page, 'console-order-refund-line');
    });
    const [refund] = (await db.admin.query(`select out_refund_no, refund_fen::int from rebate.wechat_refunds where order_id = $1`, [order.order_id])).rows;
    expect(refund.refund_fen).toBe(p.refund_fen);
    expect(await (await waitForNotification(refund.out_refund_no)).delivered).toBe(true);
    expect(stack.wechat.pay.refunds.get(refund.out_refund_no)).toMatchObject({ status: 'SUCCESS', amount: { refund: p.refund_fen } });
    expect(await entry()).toEqual({ status: 'voided', received_fen: before.received_fen });
    expect((await db.admin.query(`select refunded_fen::int from rebate.orders where id = $1`, [order.order_id])).rows[0].refunded_fen).toBe(p.refund_fen);
    expect((await db.admin.query(`select count(*)::int as n from rebate.audit_log where action = 'refund.start' and object_id = $1 and reason = '顾客退回紫砂壶'`,
      [order.order_no])).rows[0].n).toBe(1);
    expect((await db.admin.query(`select * from public.reconcile()`)).rows).toEqual([]);
    expect(errors).toEqual([]);
  });
});

/** The fake's REFUND.SUCCESS for this refund, once it has been sent. */
async function waitForNotification(outRefundNo: string) {
  for (let i = 0; i < 200; i++) {
    const n = stack.wechat.pay.notifications.find((x) => x.resource.out_refund_no === outRefundNo && x.resource.refund_status === 'SUCCESS');
    if (n) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no refund notification for ${outRefundNo}`);
}

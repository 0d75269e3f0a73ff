// The main consumer flow on the real H5 build in Chromium: log in, buy a mall product and pay
// (local dev payment), see the order and the new queue entry; another member's later order
// pays it; its progress, queue process view, "who paid me", wallet, messages and orders.
// Screenshots are kept under test/artifacts/.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, fillAddress, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, stubDevPayIfMissing, type Shop, clickWhenSettled } from '../helpers/app';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

/** The page on top of Taro's H5 page stack (earlier pages stay in the DOM, hidden). */
const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

/** Another member buys one piece and pays (arranged directly: the UI path is the test's own). */
async function otherMemberBuys(memberId: string, productId: number): Promise<void> {
  const [created] = await db.call('authenticated', memberId,
    `select to_jsonb(public.create_order($1::jsonb)) as o`, [JSON.stringify({ channel: 'mall', lines: [{ product_id: productId, quantity: 1 }] })]);
  const order = created.o as { order_no: string; pay_fen: number };
  await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [order.order_no, `E2E-${order.order_no}`, order.pay_fen]);
}

describeE2E('mall, payment and queue progress (H5)', () => {
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

  test('buy and pay in the mall, see the entry, its progress after a later order, and who paid it', async () => {
    const { page, errors } = await newTouchPage(browser);
    await stubDevPayIfMissing(page, db);
    await shotOnFailure(page, 'mall-buy', async () => {

    // log in on the mall tab
    await openAs(page, stack.h5Url, '/pages/mall/index', DEMO.two);
    const card = top(page).getByTestId('product-card').first();
    await card.waitFor({ timeout: 20000 });
    await expect(card.innerText()).resolves.toContain('明前龙井');
    await expect(card.getByTestId('product-price').innerText()).resolves.toBe('¥100.00');
    await expect(card.getByTestId('rebate-tag').count()).resolves.toBe(1);
    // its picture is a file shipped with the app (/assets/products), loaded from the app's own server
    const picture = card.getByTestId('product-image').locator('img');
    await expect(picture.getAttribute('src')).resolves.toBe('/assets/products/tea.png');
    await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth === 240, await picture.elementHandle(), { timeout: 20000 });
    await screenshot(page, 'mall-list');

    // product detail → buy → pay → order page with the new entry
    await card.click();
    await top(page).getByTestId('detail-name').waitFor();
    // the server's preview (preview_order): the member's ratio and its rule, the entitlement
    await expect(top(page).getByTestId('rebate-ratio').innerText()).resolves.toBe('奖励比例 100%（默认比例）');
    await expect(top(page).getByTestId('rebate-entitlement').innerText()).resolves.toBe('购买 1 件预计获得待返权益 ¥100.00');
    await screenshot(page, 'mall-detail');
    await top(page).getByTestId('buy-now').click();
    // 确认订单: a mall order needs a delivery address (the H5 form)
    await top(page).getByTestId('address-card').click();
    await fillAddress(page);
    await top(page).getByTestId('checkout-entitlement').waitFor({ timeout: 20000 });
    await top(page).getByTestId('place-order').click();
    await top(page).getByTestId('pay-success').waitFor({ timeout: 20000 });
    await expect(top(page).getByTestId('order-status').innerText()).resolves.toBe('已支付');
    await expect(top(page).getByTestId('line-entry').innerText()).resolves.toContain('待返权益 ¥100.00');
    await expect(top(page).getByTestId('line-entry').innerText()).resolves.toContain('奖励比例 100%（默认比例）');
    await screenshot(page, 'mall-order-paid');

    // the queue page: the entry heads its queue, nothing received yet; a queue without 7 full
    // days of inflow gets no estimate, and says why (docs/projection.md)
    await top(page).getByTestId('open-queue').click();
    const entry = top(page).getByTestId('entry-card').first();
    await entry.waitFor({ timeout: 20000 });
    await expect(top(page).getByTestId('display-name').innerText()).resolves.toBe('共享链');
    await expect(entry.getByTestId('entry-entitlement').innerText()).resolves.toBe('¥100.00');
    await expect(entry.getByTestId('entry-received').innerText()).resolves.toBe('¥0.00');
    await expect(entry.getByTestId('entry-progress-text').innerText()).resolves.toBe('0%');
    await expect(entry.getByTestId('entry-position').innerText()).resolves.toContain('第 1 位');
    await expect(entry.getByTestId('entry-ahead').innerText()).resolves.toBe('已排到队首');
    await entry.getByTestId('entry-eta-note').waitFor({ timeout: 20000 });
    await expect(entry.getByTestId('entry-eta').innerText()).resolves.toBe('预计完成：无法估计');
    await expect(entry.getByTestId('entry-eta-note').innerText()).resolves.toBe('说明：队列的历史不足 7 天，无法估计');
    await expect(entry.getByTestId('entry-ratio').innerText()).resolves.toBe('奖励比例 100%（默认比例）');
    await screenshot(page, 'queue-entry-new');

    // a later order by another member pays 10% of ¥100.00 to the head
    await otherMemberBuys(DEMO.three.id, shop.productId);
    await page.reload();
    const paidEntry = top(page).getByTestId('entry-card').first();
    await paidEntry.getByTestId('entry-received').filter({ hasText: '¥10.00' }).waitFor({ timeout: 20000 });
    await expect(paidEntry.getByTestId('entry-remaining').innerText()).resolves.toBe('¥90.00');
    await expect(paidEntry.getByTestId('entry-progress-text').innerText()).resolves.toBe('10%');
    // one day of orders is still no basis for an estimate
    await paidEntry.getByTestId('entry-eta-note').waitFor({ timeout: 20000 });
    await expect(paidEntry.getByTestId('entry-eta').innerText()).resolves.toBe('预计完成：无法估计');
    await screenshot(page, 'queue-entry-paid');

    // the queue process view: me at the head, the later member masked behind me
    await paidEntry.getByTestId('process-button').click();
    await top(page).getByTestId('around-list').waitFor({ timeout: 20000 });
    const rows = top(page).getByTestId('around-row');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.nth(0).getAttribute('data-mine')).resolves.toBe('1');
    await expect(rows.nth(1).getByTestId('around-name').innerText()).resolves.toBe('演**');
    await expect(top(page).getByTestId('process-position').innerText()).resolves.toContain('第 1 位');
    await screenshot(page, 'queue-process');

    // who paid me
    await top(page).getByTestId('open-sources').click();
    const source = top(page).getByTestId('source-row').first();
    await source.waitFor({ timeout: 20000 });
    await expect(source.getByTestId('source-amount').innerText()).resolves.toBe('+¥10.00');
    await expect(source.getByTestId('source-payer').innerText()).resolves.toBe('演**');
    await screenshot(page, 'queue-sources');

    await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('wallet, ledger, messages and orders show what happened', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'wallet', async () => {
    await openAs(page, stack.h5Url, '/packages/wallet/index', DEMO.two);
    await top(page).getByTestId('wallet-cash').filter({ hasText: '¥10.00' }).waitFor({ timeout: 20000 });
    const rebate = top(page).getByTestId('ledger-row').first();
    await expect(rebate.getByTestId('ledger-reason').innerText()).resolves.toBe('排队返利');
    await expect(rebate.getByTestId('ledger-delta').innerText()).resolves.toBe('+¥10.00');
    await screenshot(page, 'wallet');

    // a long history: older messages come page by page (20 at a time)
    await db.admin.query(`
      insert into rebate.messages (member_id, kind, title, body, created_at)
      select $1, 'notice', '历史通知 ' || g, '第 ' || g || ' 条历史通知', now() - (g || ' days')::interval
        from generate_series(1, 25) g`, [DEMO.two.id]);
    const { rows: [{ n: total }] } = await db.admin.query(`select count(*)::int as n from rebate.messages where member_id = $1`, [DEMO.two.id]);
    await page.goto(`${stack.h5Url}/#/packages/messages/index`);
    await top(page).getByTestId('message-item').first().waitFor({ timeout: 20000 });
    await expect(top(page).getByTestId('message-item').count()).resolves.toBe(20);
    await clickWhenSettled(top(page).getByTestId('load-more'));
    await top(page).getByTestId('list-end').waitFor({ timeout: 20000 });
    await expect(top(page).getByTestId('message-item').count()).resolves.toBe(total);
    const titles = await top(page).getByTestId('message-title').allInnerTexts();
    expect(titles.join('|')).toMatch(/共享链到账/);
    expect(titles.join('|')).toMatch(/共享链排队成功/);
    await screenshot(page, 'messages');
    // opening the list marked the messages read
    let unread = -1;
    for (let i = 0; i < 50 && unread !== 0; i += 1) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      ({ rows: [{ n: unread }] } = await db.admin.query(`select count(*)::int as n from rebate.messages where member_id = $1 and read_at is null`, [DEMO.two.id]));
    }
    expect(unread).toBe(0);

    await page.goto(`${stack.h5Url}/#/packages/shop/orders/index`);
    const order = top(page).getByTestId('order-card').first();
    await order.waitFor({ timeout: 20000 });
    await expect(order.getByTestId('order-status').innerText()).resolves.toBe('已支付');
    await expect(order.getByTestId('order-pay').innerText()).resolves.toBe('实付 ¥100.00');
    await screenshot(page, 'orders');

    await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });
});

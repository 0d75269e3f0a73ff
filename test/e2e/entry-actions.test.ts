// Lottery (抽奖), exchange (兑换) and points transfer (积分转赠) on the H5 build against the real
// backend (draw_lottery, preview_exchange, exchange_entry, transfer_points, my_entries.can_draw),
// configured through the plugin settings in SQL.
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

/** A member buys one piece and pays (arranged directly). Returns the new entry's id. */
async function buys(memberId: string, productId: number): Promise<number> {
  const [created] = await db.call('authenticated', memberId,
    `select to_jsonb(public.create_order($1::jsonb)) as o`, [JSON.stringify({ channel: 'mall', lines: [{ product_id: productId, quantity: 1 }] })]);
  const order = created.o as { order_id: number; order_no: string; pay_fen: number };
  await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [order.order_no, `E2E-${order.order_no}`, order.pay_fen]);
  const { rows } = await db.admin.query(`select id from rebate.entries where order_id = $1`, [order.order_id]);
  return Number(rows[0].id);
}

describeE2E('lottery, exchange and points transfer (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    // one fixed lottery option (50%), so the draw is predictable; exchange 1 fen → 1 point,
    // or 1 fen → 0.5 fen of love value, credited frozen
    await db.admin.query(`update rebate.settings set lottery_mode = 'fixed', lottery_options = '[{"bps": 5000, "weight": 1}]',
                                                  points_exchange_bps = 10000, love_exchange_bps = 5000, love_exchange_frozen = true,
                                                  exchange_name = '兑积分'`);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('draw the lottery on a waiting entry: animation, drawn ratio, new entitlement; one draw only', async () => {
    const entryId = await buys(DEMO.two.id, shop.productId);
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'lottery', async () => {
      await openAs(page, stack.h5Url, '/pages/index/index', DEMO.two);
      const card = top(page).locator(`[data-testid="entry-card"][data-entry-id="${entryId}"]`);
      await expect(card.getByTestId('entry-ratio').innerText()).resolves.toBe('奖励比例 100%（抽奖前基础比例，可抽奖）');
      await card.getByTestId('draw-button').click();
      // the published odds and the base ratio before drawing
      await top(page).getByTestId('lottery-odds').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('lottery-outcome').allInnerTexts()).resolves.toEqual(['奖励比例 50%\n概率 100%']);
      await expect(top(page).getByTestId('lottery-base').innerText()).resolves.toBe('当前基础比例 100% · 总权益 ¥100.00');
      await screenshot(page, 'lottery-odds');
      await top(page).getByTestId('lottery-start').click();
      await expect(top(page).getByTestId('lottery-start').innerText()).resolves.toContain('抽奖中');
      await screenshot(page, 'lottery-rolling');
      await top(page).getByTestId('lottery-result').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('drawn-ratio').innerText()).resolves.toBe('50%');
      await expect(top(page).getByTestId('new-entitlement').innerText()).resolves.toBe('¥50.00');
      // a lower ratio is said to be lower, without a congratulation
      await expect(top(page).getByTestId('lottery-title').innerText()).resolves.toBe('抽中 50%，奖励比例下调');
      await expect(top(page).getByTestId('lottery-change').innerText()).resolves.toBe('总权益 ¥100.00 → ¥50.00（减少 ¥50.00）');
      await expect(top(page).getByTestId('lottery-page').innerText()).resolves.not.toContain('恭喜');
      await screenshot(page, 'lottery-result');

      await top(page).getByTestId('back-to-queue').click();
      const after = top(page).locator(`[data-testid="entry-card"][data-entry-id="${entryId}"]`);
      await after.getByTestId('entry-drawn').waitFor({ timeout: 20000 });
      await expect(after.getByTestId('entry-drawn').innerText()).resolves.toBe('抽中 50%');
      await expect(after.getByTestId('entry-entitlement').innerText()).resolves.toBe('¥50.00');
      await expect(after.getByTestId('draw-button').count()).resolves.toBe(0);

      // a second draw is refused in Chinese
      await page.goto(`${stack.h5Url}/#/packages/queue/lottery/index?entry_id=${entryId}`);
      await top(page).locator('[data-testid="lottery-already"], [data-testid="lottery-unavailable"]').first().waitFor({ timeout: 20000 });
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('exchange a waiting entry for points: exact preview, confirm, the entry leaves the queue', async () => {
    const entryId = await buys(DEMO.two.id, shop.productId);
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'exchange', async () => {
      await openAs(page, stack.h5Url, '/pages/index/index', DEMO.two);
      const card = top(page).locator(`[data-testid="entry-card"][data-entry-id="${entryId}"]`);
      await expect(card.getByTestId('exchange-button').innerText()).resolves.toBe('兑积分');
      await card.getByTestId('exchange-button').click();
      await top(page).getByTestId('exchange-remaining').waitFor({ timeout: 20000 });
      const remaining = await top(page).getByTestId('exchange-remaining').innerText();
      // love value: half the remaining entitlement, credited frozen
      await top(page).getByTestId('target-love').click();
      await top(page).getByTestId('exchange-amount').filter({ hasText: '爱心值' }).waitFor({ timeout: 20000 });
      const fen = Number(remaining.replace(/[¥.,]/g, ''));
      await expect(top(page).getByTestId('exchange-amount').innerText()).resolves.toBe(`${(Math.round(fen / 2) / 100).toFixed(2)} 爱心值`);
      await expect(top(page).getByTestId('exchange-preview').innerText()).resolves.toContain('到账后冻结');
      await top(page).getByTestId('target-points').click();
      await top(page).getByTestId('exchange-amount').filter({ hasText: '积分' }).waitFor({ timeout: 20000 });
      await top(page).getByTestId('exchange-amount').waitFor({ timeout: 20000 });
      // 1 fen of entitlement → 1 point at 100%
      const points = remaining.replace(/[¥.,]/g, '').replace(/^0+/, '');
      await expect(top(page).getByTestId('exchange-amount').innerText()).resolves.toBe(`${Number(points).toLocaleString('en-US')} 积分`);
      await screenshot(page, 'exchange-preview');

      await top(page).getByTestId('exchange-submit').click();
      await expect(page.getByTestId('confirm-text').innerText()).resolves.toContain(`将待返权益 ${remaining} 兑积分为 ${Number(points).toLocaleString('en-US')} 积分`);
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(page).getByTestId('exchange-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('exchange-result').innerText()).resolves.toContain('已退出排队');
      await expect(top(page).getByTestId('exchange-done').innerText()).resolves.toContain(`获得 ${Number(points).toLocaleString('en-US')} 积分`);
      await expectNoRawErrors(page);
      await screenshot(page, 'exchange-done');
    });
    expect(errors).toEqual([]);
    const { rows } = await db.admin.query(`select status from rebate.entries where id = $1`, [entryId]);
    expect(rows[0].status).toBe('exchanged');
  });

  test('transfer points to another member by member code', async () => {
    const { rows: before } = await db.admin.query(`select points from rebate.wallets where member_id = $1`, [DEMO.two.id]);
    if (Number(before[0].points) < 300) {
      const entryId = await buys(DEMO.two.id, shop.productId);
      await db.call('authenticated', DEMO.two.id, `select to_jsonb(public.exchange_entry($1, 'points'))`, [entryId]);
    }
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'transfer', async () => {
      await openAs(page, stack.h5Url, '/packages/wallet/transfer/index', DEMO.two);
      await top(page).getByTestId('transfer-available').waitFor({ timeout: 20000 });
      const available = Number((await top(page).getByTestId('transfer-available').innerText()).replace(/,/g, ''));
      await top(page).getByTestId('transfer-code').locator('input').fill('demo0002');
      await top(page).getByTestId('transfer-points').locator('input').fill('300');
      await expect(top(page).getByTestId('transfer-invalid').innerText()).resolves.toBe('不能转赠给自己');
      await top(page).getByTestId('transfer-code').locator('input').fill('ZZZZ9999');
      // a decimal point is refused, not silently dropped (1.5 must not become 15)
      await top(page).getByTestId('transfer-points').locator('input').fill('1.5');
      await expect(top(page).getByTestId('transfer-invalid').innerText()).resolves.toBe('积分只能是整数，不能有小数点');
      await top(page).getByTestId('transfer-points').locator('input').fill(String(available + 1));
      await expect(top(page).getByTestId('transfer-invalid').innerText()).resolves.toBe('积分不足');
      await top(page).getByTestId('transfer-points').locator('input').fill('300');
      // no such member: refused before the confirmation (the backend's refusal, in Chinese)
      await top(page).getByTestId('transfer-submit').click();
      await expect(top(page).getByTestId('transfer-error').innerText()).resolves.toMatch(/会员不存在/);
      await expect(page.getByTestId('transfer-confirm-text').count()).resolves.toBe(0);
      await top(page).getByTestId('transfer-code').locator('input').fill('DEMO0003');
      await top(page).getByTestId('transfer-submit').click();
      // the confirmation names the recipient: masked nickname and member code
      await expect(page.getByTestId('transfer-confirm-text').innerText()).resolves.toContain('向 演**（会员码 DEMO0003）转赠 300 积分');
      await screenshot(page, 'transfer-confirm');
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(page).getByTestId('transfer-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('transfer-done').innerText()).resolves.toContain('已向 演** 转赠 300 积分');
      await expect(top(page).getByTestId('transfer-balance').innerText()).resolves.toBe(`剩余积分 ${(available - 300).toLocaleString('en-US')}`);
      await screenshot(page, 'transfer-done');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
    const { rows } = await db.admin.query(`select points from rebate.wallets where member_id = $1`, [DEMO.three.id]);
    expect(Number(rows[0].points)).toBe(300);
  });

  test('the message to the recipient counts points as points, and taps through to the wallet', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'messages-points', async () => {
      await openAs(page, stack.h5Url, '/packages/messages/index', DEMO.three);
      const item = top(page).getByTestId('message-item').filter({ hasText: '收到积分转赠' });
      await item.waitFor({ timeout: 20000 });
      await expect(item.getByTestId('message-amount').innerText()).resolves.toBe('300 积分');
      await expect(item.innerText()).resolves.not.toContain('¥');
      await screenshot(page, 'messages-points');
      await item.click();
      await top(page).getByTestId('wallet-page').waitFor({ timeout: 20000 });
    });
    expect(errors).toEqual([]);
  });
});

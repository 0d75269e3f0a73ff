// 提现 from the wallet on the H5 build against the real backend: the rules from
// my_withdrawal_info, the fee and net preview, the refusals before sending, the request
// (request_withdrawal) and the history with 审核中 / 已打款 / 已驳回 and the reason.
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

describeE2E('withdrawal (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    await seedShop(db);
    await db.admin.query(`update rebate.settings set withdraw_min_fen = 1000, withdraw_fee_bps = 60, withdraw_daily_limit = 3`);
    await db.admin.query(`select rebate.post_ledger($1, 'cash', 10920, 'admin_adjustment')`, [DEMO.two.id]);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('withdraw cash: rules, fee preview, refusals, request, history with every state', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'withdraw', async () => {
      await openAs(page, stack.h5Url, '/packages/wallet/index', DEMO.two);
      await top(page).getByTestId('open-withdraw').click();
      await top(page).getByTestId('withdraw-rules').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('withdraw-rules').innerText()).resolves.toContain('最低提现 ¥10.00，手续费 0.6%');
      await expect(top(page).getByTestId('withdraw-today').innerText()).resolves.toContain('今日已申请 0 次，还可申请 3 次');

      const amount = top(page).getByTestId('withdraw-amount').locator('input');
      await amount.fill('5');
      await expect(top(page).getByTestId('withdraw-problem').innerText()).resolves.toBe('最低提现金额为¥10.00');
      await amount.fill('200');
      await expect(top(page).getByTestId('withdraw-problem').innerText()).resolves.toBe('余额不足');
      await amount.fill('1.234');
      await expect(top(page).getByTestId('withdraw-problem').innerText()).resolves.toBe('金额最多保留两位小数');
      await amount.fill('33.33');
      // 0.6% of 33.33 = 0.19998 → ¥0.20 (half-up, as the server rounds)
      await expect(top(page).getByTestId('withdraw-fee').innerText()).resolves.toBe('¥0.20');
      await expect(top(page).getByTestId('withdraw-net').innerText()).resolves.toBe('¥33.13');
      await expect(top(page).getByTestId('withdraw-problem').count()).resolves.toBe(0);
      await screenshot(page, 'withdraw-preview');
      await top(page).getByTestId('withdraw-submit').click();
      await expect(page.getByTestId('withdraw-confirm-text').innerText()).resolves.toContain('实际到账 ¥33.13');
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(page).getByTestId('withdraw-done').waitFor({ timeout: 20000 });
      await top(page).getByTestId('withdraw-row').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('withdraw-status').first().innerText()).resolves.toBe('审核中');

      // a second request for everything left, then the platform decides both
      await top(page).getByTestId('withdraw-all').click();
      await expect(amount.inputValue()).resolves.toBe('75.87');
      await top(page).getByTestId('withdraw-submit').click();
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(page).getByTestId('withdraw-row').nth(1).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('withdraw-today').innerText()).resolves.toContain('今日已申请 2 次，还可申请 1 次');
    });
    const { rows } = await db.admin.query(`select id, amount_fen::int from rebate.withdrawals where member_id = $1 order by id`, [DEMO.two.id]);
    expect(rows.map((r) => r.amount_fen)).toEqual([3333, 7587]);
    await db.call('authenticated', DEMO.one.id, `select public.admin_approve_withdrawal($1, 'WXT-E2E-1')`, [rows[0].id]);
    await db.call('authenticated', DEMO.one.id, `select public.admin_reject_withdrawal($1, '收款账户未实名')`, [rows[1].id]);

    await shotOnFailure(page, 'withdraw-history', async () => {
      await page.reload();
      await top(page).getByTestId('withdraw-row').nth(1).waitFor({ timeout: 20000 });
      const statuses = await top(page).getByTestId('withdraw-status').allInnerTexts();
      expect(statuses).toEqual(['已驳回', '已打款']);
      await expect(top(page).getByTestId('withdraw-reason').innerText()).resolves.toBe('驳回原因：收款账户未实名（已退回余额）');
      // the rejected amount is back
      await expect(top(page).getByTestId('withdraw-asset-cash').innerText()).resolves.toContain('¥75.87');
      await expectNoRawErrors(page);
      await screenshot(page, 'withdraw-history');
    });
    expect(errors).toEqual([]);
  });
});

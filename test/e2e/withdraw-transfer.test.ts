// A withdrawal paid by WeChat Pay merchant transfer, through the real builds in Chromium: the
// member withdraws in the H5 mini-program, 财务 approves it in the console (通过并打款: the
// withdrawal-transfer function sends it to the fake WeChat Pay), the member confirms receipt
// (确认收款: on H5 the fake's confirm page), MCHTRANSFER.BILL.FINISHED reaches transfer-notify,
// and the history and balance are right on both sides. reconcile() is clean at the end.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, shotOnFailure } from '../helpers/app';
import { consoleBuildAvailable, consoleLogin, FINANCE, gotoConsole, newDesktopPage, seedConsole } from '../helpers/console';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

describeE2E('withdrawal paid by merchant transfer (H5 + console)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    await seedConsole(db);
    await db.admin.query(`update rebate.settings set withdraw_min_fen = 1000, withdraw_fee_bps = 100, withdraw_daily_limit = 3`);
    await db.admin.query(`select rebate.post_ledger($1, 'cash', 10000, 'admin_adjustment')`, [DEMO.three.id]);
    stack = await startTestStack(db, { pay: true });
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('member withdraws, finance approves in the console, the member confirms receipt; balance and history', async () => {
    const member = await newTouchPage(browser);
    await shotOnFailure(member.page, 'withdraw-transfer-request', async () => {
      await openAs(member.page, stack.h5Url, '/packages/wallet/index', DEMO.three);
      await top(member.page).getByTestId('open-withdraw').click();
      await top(member.page).getByTestId('withdraw-rules').waitFor({ timeout: 20000 });
      await top(member.page).getByTestId('withdraw-amount').locator('input').fill('60');
      await top(member.page).getByTestId('withdraw-submit').click();
      await member.page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(member.page).getByTestId('withdraw-row').first().waitFor({ timeout: 20000 });
      await expect(top(member.page).getByTestId('withdraw-status').first().innerText()).resolves.toBe('审核中');
    });
    const [{ id }] = (await db.admin.query(`select id::int from rebate.withdrawals where member_id = $1`, [DEMO.three.id])).rows;

    const staff = await newDesktopPage(browser);
    await shotOnFailure(staff.page, 'withdraw-transfer-console', async () => {
      await consoleLogin(staff.page, stack.h5Url, FINANCE.code);
      await gotoConsole(staff.page, 'withdrawals');
      await staff.page.getByTestId(`approve-w-${id}`).click();
      await staff.page.getByText('通过微信商家转账向').waitFor();
      await staff.page.getByTestId('confirm-transfer').click();
      await staff.page.getByText('已发起微信转账，等待会员确认收款').waitFor({ timeout: 20000 });
      await staff.page.getByText('打款中', { exact: true }).click();
      await expect(staff.page.getByTestId(`w-status-${id}`).innerText()).resolves.toBe('待确认收款');
      await expect(staff.page.getByTestId(`w-transfer-${id}`).innerText()).resolves.toContain('待会员确认收款');
      await screenshot(staff.page, 'console-withdraw-transfer');
    });
    expect(stack.wechat.payouts.bill((await db.admin.query(`select out_bill_no from rebate.withdrawal_transfers`)).rows[0].out_bill_no))
      .toMatchObject({ transfer_amount: 5940, state: 'WAIT_USER_CONFIRM', openid: 'e2e-openid-3' });

    await shotOnFailure(member.page, 'withdraw-transfer-confirm', async () => {
      await member.page.reload();
      await top(member.page).getByTestId('withdraw-confirm-receipt').waitFor({ timeout: 20000 });
      await expect(top(member.page).getByTestId('withdraw-status').first().innerText()).resolves.toBe('待确认收款');
      await top(member.page).getByTestId('withdraw-confirm-receipt').click();
      await top(member.page).locator('[data-testid="withdraw-row"][data-status="approved"]').waitFor({ timeout: 20000 });
      await expect(top(member.page).getByTestId('withdraw-status').first().innerText()).resolves.toBe('已打款');
      await expect(top(member.page).getByTestId('withdraw-confirm-receipt').count()).resolves.toBe(0);
      await expect(top(member.page).getByTestId('withdraw-asset-cash').innerText()).resolves.toContain('¥40.00');
      await expectNoRawErrors(member.page);
      await screenshot(member.page, 'withdraw-transfer-paid');
    });

    await staff.page.reload();
    await gotoConsole(staff.page, 'withdrawals');
    await staff.page.getByText('已打款', { exact: true }).first().click();
    await expect(staff.page.getByTestId(`w-transfer-${id}`).innerText()).resolves.toContain('转账成功');
    expect((await db.admin.query(`select status from rebate.withdrawals where id = $1`, [id])).rows[0].status).toBe('approved');
    expect((await db.admin.query(`select * from public.reconcile()`)).rows).toEqual([]);
    expect(member.errors).toEqual([]);
    expect(staff.errors).toEqual([]);
  });
});

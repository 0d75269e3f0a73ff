// Running the programme from the console (Chromium 1440×900, the built console, the whole local
// stack): change the extraction ratio and see the next order extract at it (and a value the
// database refuses shown in Chinese); approve a merchant and download its cashier QR code
// (decoded); approve and reject withdrawals as 财务; force an entry out as 运营 (reconcile clean);
// every change lands in 操作日志. Screenshots of each page go to test/artifacts/console-*.png.
import fs from 'node:fs';
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, shotOnFailure, type Shop } from '../helpers/app';
import { buy, reconcile } from '../helpers/engine';
import { api, consoleBuildAvailable, consoleLogin, FINANCE, gotoConsole, memberToken, newDesktopPage, seedConsole } from '../helpers/console';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } } };

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const audits = async (action: string) => (await db.admin.query(`select * from rebate.audit_log where action = $1 order by id`, [action])).rows;

async function fillNumber(page: Page, testId: string, value: string) {
  const input = page.locator(`[data-testid="${testId}"] input, input[data-testid="${testId}"]`).first();
  await input.fill(value);
  await input.press('Tab');
}

describeE2E('running the programme from the console (Chromium 1440×900)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedConsole(db);
    stack = await startTestStack(db, { pay: true });
    browser = await launchBrowser();
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('排队返利设置: a refused value shows the database\'s message; 20% extraction applies to the next order; audited', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-settings', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'settings');
      await page.getByTestId('page-settings').waitFor();
      await fillNumber(page, 'setting-display_name', '');
      await page.locator('[data-testid="setting-display_name"]').fill('');
      await page.getByTestId('settings-save').click();
      await page.getByTestId('settings-error').waitFor();
      expect(await page.getByTestId('settings-error').innerText()).toContain('自定义名称：取值无效');
      await page.getByRole('button', { name: '撤销修改' }).click();

      await fillNumber(page, 'setting-extraction_bps', '20');
      // before saving: what the proposed ratio would do (改动预估)
      await page.getByTestId('what-if').waitFor();
      await page.getByTestId('what-if-growth').waitFor();
      expect(await page.getByTestId('what-if-growth').innerText()).toContain('提取比例 20%');
      await screenshot(page, 'console-settings-what-if');
      await page.getByPlaceholder('修改原因（记入操作日志，可选）').fill('周末活动');
      await page.getByTestId('settings-save').click();
      await page.getByText('设置已保存').waitFor();
      await screenshot(page, 'console-settings');
      expect(errors).toEqual([]);
    });
    expect((await db.admin.query(`select extraction_bps from rebate.settings`)).rows[0].extraction_bps).toBe(2000);
    expect((await audits('settings.update')).at(-1)).toMatchObject({
      actor_id: DEMO.two.id, before: { extraction_bps: 1000 }, after: { extraction_bps: 2000 }, reason: '周末活动' });
    const order = await buy(db, DEMO.one.id, shop.productId);
    const line = (await db.admin.query(`select extraction_bps, extraction_fen from rebate.order_lines where order_id = $1`, [order.order_id])).rows[0];
    expect(line).toEqual({ extraction_bps: 2000, extraction_fen: '2000' });
  });

  test('会员等级: 运营 adds a level (saved, audited); the base level offers no 删除, the new one does', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-member-levels', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'settings');
      const table = page.getByTestId('member-levels');
      await table.waitFor();
      await table.getByRole('button', { name: '添加会员等级' }).click();
      await table.locator('tbody tr').last().locator('input').first().fill('金卡会员');
      await table.locator('tbody tr').last().getByRole('button', { name: /保\s*存/ }).click();   // Ant Design spaces two-character labels
      await page.getByText('会员等级已保存').waitFor();
      // the base level (普通会员) offers no 删除
      await expect(table.locator('tbody tr').first().getByRole('button', { name: /删\s*除/ }).count()).resolves.toBe(0);
      await table.locator('tbody tr').last().getByRole('button', { name: /删\s*除/ }).waitFor({ timeout: 20000 });   // the new level, once the table has re-rendered
      expect(errors).toEqual([]);
    });
    const levels = (await db.admin.query(`select name, rank from rebate.member_levels order by rank`)).rows;
    expect(levels.map((l) => l.name)).toContain('金卡会员');
    expect((await audits('member_level.save')).at(-1)).toMatchObject({ actor_id: DEMO.two.id, after: { name: '金卡会员' } });
  });

  test('队列: 负债预测 shows the run-off with its method, or 无法估计 with why, and what new sales add', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-liability', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'queues');
      await page.getByTestId('page-queues').waitFor();
      await page.locator('[data-testid^="queue-projection-"]').first().click();
      const view = page.getByTestId('liability-projection');
      await view.waitFor();
      expect(await page.getByTestId('structural-growth').innerText()).toMatch(/^每卖出 ¥1\.00，/);
      // a queue with less than 7 days of history cannot be projected, and says so
      await expect(view.innerText()).resolves.toMatch(/无法估计|可返完/);
      await screenshot(page, 'console-liability');
      expect(errors).toEqual([]);
    });
  });

  test('商家入驻: 运营 approves an application; the new store\'s cashier QR code downloads and decodes to its scene', async () => {
    const [m] = (await db.admin.query(`select public.upsert_member_by_openid('e2e-merchant') as id`)).rows;
    const code = (await db.call('authenticated', DEMO.one.id, `select public.admin_create_merchant_invite_code('地推') as c`))[0].c.code;
    const app = (await db.call('authenticated', m.id, `select (public.submit_merchant_application($1, '老王烧烤', '王师傅', '13800138000', '中山路 1 号', '91330100MA2XXXXX1Y')).application_id`, [code]))[0];
    app.application_id = Number(app.application_id);
    const { page } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-merchants', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'merchants');
      await page.getByTestId(`approve-${app.application_id}`).click();
      await page.getByText('已通过，门店和收银台已创建').waitFor();
      await screenshot(page, 'console-merchants');
      // the glossary word (docs/client.md): 招商码, never 商家邀请码
      await page.getByRole('tab', { name: '招商码' }).click();
      await page.getByRole('button', { name: '新建招商码' }).waitFor();
      expect(await page.getByText('商家邀请码').count()).toBe(0);
      const store = (await db.admin.query(`select s.id, c.code from rebate.stores s join rebate.cashiers c on c.store_id = s.id where s.application_id = $1`, [app.application_id])).rows[0];
      expect((await audits('merchant_application.approve')).at(-1)).toMatchObject({ actor_id: DEMO.two.id, object_id: String(app.application_id) });

      await gotoConsole(page, 'stores');
      await page.getByTestId(`cashier-qr-${store.id}`).waitFor();
      await screenshot(page, 'console-stores');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`cashier-qr-${store.id}`).click()]);
      const file = await download.path();
      const png = PNG.sync.read(fs.readFileSync(file!));
      expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(`c=${store.code}`);
      // the new cashier's own settings (独立设置): extraction 30%, saved through admin_update_rule_settings and audited
      await page.getByRole('row').filter({ hasText: '老王烧烤' }).getByRole('button', { name: '收银台独立设置' }).click();
      await fillNumber(page, 'rule-extraction_bps', '30');
      await page.getByRole('button', { name: '保 存' }).or(page.getByRole('button', { name: '保存' })).click();
      await page.getByText('独立设置已保存').waitFor();
      expect((await db.admin.query(`select extraction_bps from rebate.cashiers where store_id = $1`, [store.id])).rows[0].extraction_bps).toBe(3000);
      expect((await audits('rule_settings.update')).at(-1)).toMatchObject({ actor_id: DEMO.two.id, object_type: 'cashier', after: expect.objectContaining({ extraction_bps: 3000 }) });
      // the new owner holds 店主 of the new store
      expect((await db.admin.query(`select role, store_id from rebate.staff_roles where member_id = $1`, [m.id])).rows).toEqual([{ role: 'store_owner', store_id: store.id }]);
    });
  });

  test('提现审核: 财务 approves one withdrawal and rejects another with a reason; the money goes back; audited', async () => {
    await db.admin.query(`select rebate.post_ledger($1, 'cash', 10000, 'admin_adjustment')`, [DEMO.one.id]);
    const token = await memberToken(stack.gateway.url, DEMO.one.code);
    const w1 = (await api(stack.gateway.url, '/rest/v1/rpc/request_withdrawal', { p_asset: 'cash', p_amount_fen: 3000 }, token)).body;
    const w2 = (await api(stack.gateway.url, '/rest/v1/rpc/request_withdrawal', { p_asset: 'cash', p_amount_fen: 2000 }, token)).body;
    const { page } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-withdrawals', async () => {
      await consoleLogin(page, stack.h5Url, FINANCE.code);
      await gotoConsole(page, 'withdrawals');
      await page.getByTestId(`approve-w-${w1.withdrawal_id}`).waitFor({ timeout: 20000 });
      await screenshot(page, 'console-withdrawals');
      await page.getByTestId(`approve-w-${w1.withdrawal_id}`).click();
      await page.getByTestId('confirm-transfer').click();   // 通过并打款: a merchant transfer at the fake WeChat Pay
      await page.getByText('已发起微信转账，等待会员确认收款').first().waitFor();
      await page.getByTestId(`reject-w-${w2.withdrawal_id}`).click();
      await page.getByTestId('reason-input').fill('收款信息不符');
      await page.getByRole('button', { name: '确 定' }).or(page.getByRole('button', { name: '确定' })).click();
      await page.getByText('已驳回，金额已退回').waitFor();
    });
    const rows = (await db.admin.query(`select id, status, payout_ref, reject_reason from rebate.withdrawals order by id`)).rows;
    expect(rows).toEqual([
      { id: String(w1.withdrawal_id), status: 'paying', payout_ref: expect.stringMatching(/^WD\d{20}$/), reject_reason: null },
      { id: String(w2.withdrawal_id), status: 'rejected', payout_ref: null, reject_reason: '收款信息不符' },
    ]);
    expect((await db.admin.query(`select cash_fen from rebate.wallets where member_id = $1`, [DEMO.one.id])).rows[0].cash_fen).toBe('7000');
    expect((await audits('withdrawal.reject')).at(-1)).toMatchObject({ actor_id: FINANCE.id, reason: '收款信息不符' });
    expect((await audits('withdrawal.approve_transfer')).at(-1)).toMatchObject({ actor_id: FINANCE.id });
    expect(await reconcile(db)).toEqual([]);
  });

  test('订单: 财务 previews a refund of one order (the clawback of what its entry received, the refundable cash)', async () => {
    const order = await buy(db, DEMO.three.id, shop.productId);
    await buy(db, DEMO.one.id, shop.productId); // pays part of the earlier entries
    const { page } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-order-refund', async () => {
      await consoleLogin(page, stack.h5Url, FINANCE.code);
      await gotoConsole(page, 'orders');
      await page.getByTestId('page-orders').waitFor();
      await page.getByPlaceholder('订单号').fill(order.order_no);
      await page.getByPlaceholder('订单号').press('Enter');
      await page.getByRole('row').filter({ hasText: order.order_no }).getByRole('button', { name: /详\s*情/ }).click();
      await page.getByTestId('refund-preview').click();
      await page.getByTestId('refund-preview-table').waitFor();
      const p = (await db.call('authenticated', FINANCE.id, `select public.console_refund_preview($1) as p`, [order.order_no]))[0].p;
      expect(await page.getByTestId('refund-preview-table').innerText()).toContain(`可退 ¥${(p.refund_fen / 100).toFixed(2)}`);
      await page.waitForTimeout(400);
      await screenshot(page, 'console-order-refund-preview');
    });
  });

  test('队列: 运营 forces a waiting entry out with a reason; reconcile stays clean; 操作日志 shows it', async () => {
    await buy(db, DEMO.three.id, shop.productId);
    const entry = (await db.admin.query(`select id, queue_id from rebate.entries where member_id = $1 and status = 'waiting' order by id desc limit 1`, [DEMO.three.id])).rows[0];
    const { page } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-queues', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      await gotoConsole(page, 'queues');
      await page.getByTestId(`queue-entries-${entry.queue_id}`).click();
      await page.getByTestId(`force-exit-${entry.id}`).waitFor({ timeout: 20000 });
      await page.waitForTimeout(600); // the drawer's opening animation
      await screenshot(page, 'console-queues');
      await page.getByTestId(`force-exit-${entry.id}`).click();
      await page.getByTestId('reason-input').fill('重复下单，核实后出队');
      await page.getByRole('button', { name: '确 定' }).or(page.getByRole('button', { name: '确定' })).click();
      await page.getByText(/已出队/).waitFor();
      await page.keyboard.press('Escape');

      await gotoConsole(page, 'audit');
      await page.getByTestId('page-audit').waitFor();
      await page.getByText('强制出队').first().waitFor({ timeout: 20000 });
      await page.getByText('重复下单，核实后出队').first().waitFor();
      await screenshot(page, 'console-audit');
    });
    expect((await db.admin.query(`select status from rebate.entries where id = $1`, [entry.id])).rows[0].status).toBe('voided');
    expect(await reconcile(db)).toEqual([]);
  });

  test('the other pages render for the 超级管理员 (screenshots)', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-pages', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.one.code);
      for (const [route, testId] of [['products', 'page-products'], ['members', 'page-members'], ['orders', 'page-orders'], ['export', 'page-export'], ['roles', 'page-roles']]) {
        await gotoConsole(page, route);
        await page.getByTestId(testId).waitFor({ timeout: 20000 });
        await page.waitForTimeout(800);
        await screenshot(page, `console-${route}`);
      }
      expect(errors).toEqual([]);
    });
  });
});

// The console's scan login (扫码登录) in Chromium at 1440×900 on the built console: the page shows
// a QR code holding a one-time ticket; the test confirms it as the member through the API (what
// the mini-program's confirm page does) and the console signs in. Refusals: a member without a
// console role, an expired ticket, a used ticket. The menu shows only what each role may use;
// a 店主 sees only their store; a 运营 cannot approve withdrawals.
import jsQR from 'jsqr';
import type { Browser } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { createOrder, pay } from '../helpers/engine';
import { DEMO, newTouchPage, openAs, shotOnFailure as shotOnFailureAs } from '../helpers/app';
import { api, consoleBuildAvailable, consoleLogin, FINANCE, gotoConsole, memberToken, menuItems, newDesktopPage, seedConsole } from '../helpers/console';
import type { Shop } from '../helpers/app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } } };

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

function qrText(dataUrl: string): string | null {
  const png = PNG.sync.read(Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
}

describeE2E('console scan login and roles (Chromium 1440×900)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedConsole(db);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('scan login: the QR code holds the ticket; confirmed as the member, the console signs in; the ticket is then used', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailureAs(page, 'console-login', async () => {
      await page.goto(`${stack.h5Url}/console/`);
      const img = page.getByTestId('login-qr');
      await img.waitFor({ timeout: 20000 });
      await screenshot(page, 'console-login');
      const text = qrText((await img.getAttribute('src'))!);
      expect(text).toMatch(/^rebate-console-login:[0-9a-f-]{36}$/);
      const ticket = text!.split(':')[1];

      // a member without a console role cannot confirm it
      const [plain] = (await db.admin.query(`select public.upsert_member_by_openid('e2e-plain') as id`)).rows;
      const plainCode = (await db.admin.query(`select member_code from rebate.members where id = $1`, [plain.id])).rows[0].member_code;
      const refused = await api(stack.gateway.url, '/rest/v1/rpc/console_ticket_confirm', { p_ticket: ticket }, await memberToken(stack.gateway.url, plainCode));
      expect(refused.body).toMatchObject({ message: 'forbidden_role', hint: '没有权限执行此操作' });

      // the finance member confirms (the mini-program's 确认登录)
      const token = await memberToken(stack.gateway.url, FINANCE.code);
      const info = await api(stack.gateway.url, '/rest/v1/rpc/console_ticket_info', { p_ticket: ticket }, token);
      expect(info.body).toMatchObject({ confirmed: false, roles: ['finance'] });
      expect((await api(stack.gateway.url, '/rest/v1/rpc/console_ticket_confirm', { p_ticket: ticket }, token)).status).toBe(200);

      await page.getByTestId('console-user').waitFor({ timeout: 20000 });
      expect(await page.getByTestId('console-user').innerText()).toContain(FINANCE.nickname);
      expect(await menuItems(page)).toEqual(['数据概览', '排队返利设置', '商品', '门店/收银台', '队列', '分红池', '会员', '订单', '商家入驻', '退款售后', '提现审核', '对账', '操作日志', '导出']);
      await page.getByTestId('page-dashboard').waitFor({ timeout: 20000 });
      await page.getByTestId('reconcile-ok').waitFor();
      await page.waitForTimeout(500);
      await screenshot(page, 'console-dashboard');

      // the ticket is spent: confirming it again is refused
      const again = await api(stack.gateway.url, '/rest/v1/rpc/console_ticket_confirm', { p_ticket: ticket }, await memberToken(stack.gateway.url, DEMO.two.code));
      expect(again.body).toMatchObject({ message: 'ticket_used' });
      expect(errors).toEqual([]);
    });
  });

  test('the mini-program\'s confirm page (H5): 登录运营后台？ with the time, 确认登录 signs the console in', async () => {
    const { page: desk } = await newDesktopPage(browser);
    await desk.goto(`${stack.h5Url}/console/`);
    const img = desk.getByTestId('login-qr');
    await img.waitFor({ timeout: 20000 });
    const ticket = (await img.getAttribute('data-ticket'))!;
    const { page: phone } = await newTouchPage(browser);
    await shotOnFailureAs(phone, 'console-login-confirm', async () => {
      await openAs(phone, stack.h5Url, `/packages/console-login/index?ticket=${ticket}`, DEMO.two);
      const title = phone.getByTestId('console-login-title');
      await title.waitFor({ timeout: 20000 });
      expect(await title.innerText()).toBe('登录运营后台？');
      await screenshot(phone, 'console-login-confirm');
      await phone.getByTestId('console-login-confirm').click();
      await phone.getByTestId('console-login-done').waitFor();
      await screenshot(phone, 'console-login-confirmed');
    });
    await desk.getByTestId('console-user').waitFor({ timeout: 20000 });
    expect(await desk.getByTestId('console-user').innerText()).toContain(DEMO.two.nickname);
  });

  test('an expired ticket: the console offers a fresh code; confirming the old one is refused', async () => {
    const { page } = await newDesktopPage(browser);
    await shotOnFailureAs(page, 'console-login-expired', async () => {
      await page.goto(`${stack.h5Url}/console/`);
      const img = page.getByTestId('login-qr');
      await img.waitFor({ timeout: 20000 });
      const ticket = (await img.getAttribute('data-ticket'))!;
      await db.admin.query(`update rebate.console_login_tickets set created_at = now() - interval '3 minutes', expires_at = now() - interval '1 second' where id = $1`, [ticket]);
      await page.getByRole('button', { name: /二维码已过期/ }).waitFor({ timeout: 20000 });
      await screenshot(page, 'console-login-expired');
      const r = await api(stack.gateway.url, '/rest/v1/rpc/console_ticket_confirm', { p_ticket: ticket }, await memberToken(stack.gateway.url, DEMO.two.code));
      expect(r.body).toMatchObject({ message: 'ticket_expired', hint: expect.stringMatching(/已过期/) });
      await page.getByRole('button', { name: /二维码已过期/ }).click();
      await page.waitForFunction((old) => document.querySelector('[data-testid="login-qr"]')?.getAttribute('data-ticket') !== old, ticket);
    });
  });

  test('a member without a console role who signs in is refused by the console', async () => {
    const { page } = await newDesktopPage(browser);
    const [m] = (await db.admin.query(`select public.upsert_member_by_openid('e2e-nobody') as id`)).rows;
    const code = (await db.admin.query(`select member_code from rebate.members where id = $1`, [m.id])).rows[0].member_code;
    const session = (await api(stack.gateway.url, '/functions/v1/dev-login', { member_code: code })).body;
    await page.goto(`${stack.h5Url}/console/`);
    await page.evaluate((s) => localStorage.setItem('rebate-console-session', JSON.stringify(s)), session);
    await page.reload();
    await page.getByTestId('console-refused').waitFor({ timeout: 20000 });
    expect(await page.getByTestId('console-refused').innerText()).toContain('没有权限执行此操作');
  });

  test('a 运营 sees no 提现审核, is refused there, and the database refuses the approval', async () => {
    const { page } = await newDesktopPage(browser);
    await shotOnFailureAs(page, 'console-ops-withdrawals', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      const menu = await menuItems(page);
      expect(menu).not.toContain('提现审核');
      expect(menu).not.toContain('退款售后');
      expect(menu).not.toContain('对账');
      expect(menu).not.toContain('角色');
      await gotoConsole(page, 'withdrawals');
      await page.getByTestId('forbidden').waitFor();
      await screenshot(page, 'console-ops-forbidden');
      await db.admin.query(`select rebate.post_ledger($1, 'cash', 5000, 'admin_adjustment')`, [DEMO.three.id]);
      const w = await api(stack.gateway.url, '/rest/v1/rpc/request_withdrawal', { p_asset: 'cash', p_amount_fen: 1000 }, await memberToken(stack.gateway.url, DEMO.three.code));
      const r = await api(stack.gateway.url, '/rest/v1/rpc/admin_approve_withdrawal', { p_withdrawal_id: w.body.withdrawal_id, p_payout_ref: 'X1' },
        await memberToken(stack.gateway.url, DEMO.two.code));
      expect(r.body).toMatchObject({ message: 'forbidden_role' });
    });
  });

  test('a 店主 sees only their store: its menu, its store, its orders', async () => {
    // an order in the owner's store and one in another store
    const other = await db.admin.query(`insert into rebate.stores (code, name, status) values ('OTHER1', '别家门店', 'approved') returning id`);
    await db.admin.query(`insert into rebate.cashiers (store_id, code) values ($1, 'CASH02')`, [other.rows[0].id]);
    await pay(db, await createOrder(db, DEMO.one.id, { channel: 'cashier', store_id: shop.storeId, amount_fen: 2300 }));
    await pay(db, await createOrder(db, DEMO.one.id, { channel: 'cashier', store_id: Number(other.rows[0].id), amount_fen: 4500 }));
    const { page } = await newDesktopPage(browser);
    await shotOnFailureAs(page, 'console-owner', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.three.code);
      expect(await menuItems(page)).toEqual(['商品', '门店/收银台', '队列', '订单']);
      await gotoConsole(page, 'stores');
      await page.getByTestId('page-stores').waitFor();
      await page.getByText('街角咖啡').waitFor();
      expect(await page.getByText('别家门店').count()).toBe(0);
      await screenshot(page, 'console-owner-stores');
      await gotoConsole(page, 'orders');
      await page.getByTestId('page-orders').waitFor();
      await page.getByText('¥23.00').first().waitFor({ timeout: 20000 });
      expect(await page.getByText('¥45.00').count()).toBe(0);
      expect(await page.getByText('别家门店').count()).toBe(0);
      await screenshot(page, 'console-owner-orders');
    });
  });
});

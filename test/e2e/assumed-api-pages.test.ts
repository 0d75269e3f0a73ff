// The pages built against RPCs the backend does not have yet (issues 4 and 6), driven on the
// H5 build with those calls answered at the browser boundary in exactly the shapes the client
// assumes (client/services/lottery.ts, exchange.ts, wallet.ts, referral.ts). This checks the
// pages now and documents the contract; entry-actions.test.ts and invite.test.ts run the same
// flows against the real backend once it lands. Everything else here is the real stack.
import QRCode from 'qrcode';
import jsQR from 'jsqr';
import type { Browser, Page, Route } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, type Shop } from '../helpers/app';

// pngjs ships no types; this is the part we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } } };

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

/** Answer an RPC or function with JSON; `calls` records the request bodies. */
async function answer(page: Page, path: string, reply: (body: Record<string, unknown>) => { status?: number; json: unknown }, calls: unknown[] = []) {
  await page.route(`**${path}`, async (route: Route) => {
    const body = JSON.parse(route.request().postData() ?? '{}') as Record<string, unknown>;
    calls.push(body);
    const { status = 200, json } = reply(body);
    await route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(json) });
  });
  return calls;
}

/** Polls until `probe` returns `expected` (the image swaps after the tab changes). */
async function waitForValue<T>(probe: () => Promise<T>, expected: T, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined);
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(last).toBe(expected);
}

async function buys(memberId: string, productId: number): Promise<number> {
  const [created] = await db.call('authenticated', memberId,
    `select public.create_order($1::jsonb) as o`, [JSON.stringify({ channel: 'mall', lines: [{ product_id: productId, quantity: 1 }] })]);
  const order = created.o as { order_id: number; order_no: string; pay_fen: number };
  await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [order.order_no, `E2E-${order.order_no}`, order.pay_fen]);
  const { rows } = await db.admin.query(`select id from rebate.entries where order_id = $1`, [order.order_id]);
  return Number(rows[0].id);
}

describeE2E('pages on the assumed issue 4 and 6 RPCs (H5, those calls stubbed)', () => {
  let entryId: number;

  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    await db.admin.query(`update rebate.settings set exchange_name = '兑积分'`);
    entryId = await buys(DEMO.two.id, shop.productId);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('lottery: the 抽奖 button where my_entries says can_draw, the roll, the drawn ratio; a refusal in Chinese', async () => {
    const { page, errors } = await newTouchPage(browser);
    await page.route('**/rest/v1/rpc/my_entries', async (route) => {
      const response = await route.fetch();
      const rows = (await response.json()) as Array<Record<string, unknown>>;
      await route.fulfill({ response, json: rows.map((r) => ({ ...r, can_draw: r.status === 'waiting', drawn_bps: null })) });
    });
    let draws = 0;
    const calls = await answer(page, '/rest/v1/rpc/draw_lottery', (body) => {
      draws += 1;
      if (draws > 1) return { status: 400, json: { code: 'P0001', message: 'lottery_already_drawn', hint: '该排队名额已经抽过奖了', details: null } };
      return {
        json: {
          entry_id: body.p_entry_id, mode: 'fixed', previous_bps: 10000, drawn_bps: 5000,
          previous_entitlement_fen: 10000, entitlement_fen: 5000, remaining_fen: 5000, rule_label: '插件抽奖', drawn_at: new Date().toISOString(),
        },
      };
    });
    await shotOnFailure(page, 'stub-lottery', async () => {
      await openAs(page, stack.h5Url, '/pages/index/index', DEMO.two);
      await top(page).locator(`[data-testid="entry-card"][data-entry-id="${entryId}"]`).getByTestId('draw-button').click();
      await top(page).getByTestId('lottery-start').click();
      await expect(top(page).getByTestId('lottery-start').innerText()).resolves.toContain('抽奖中');
      await top(page).getByTestId('lottery-result').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('drawn-ratio').innerText()).resolves.toBe('50%');
      await expect(top(page).getByTestId('new-entitlement').innerText()).resolves.toBe('¥50.00');
      await expect(top(page).getByTestId('lottery-dial').innerText()).resolves.toBe('50%');
      await screenshot(page, 'stub-lottery-result');
      expect(calls).toEqual([{ p_entry_id: entryId }]);

      // the page again, as if the backend still offered a draw: the refusal reads in Chinese
      await page.goto(`${stack.h5Url}/#/packages/queue/lottery/index?entry_id=${entryId}`);
      await page.reload();
      await top(page).getByTestId('lottery-start').click();
      await top(page).getByTestId('lottery-refused').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('lottery-refused').innerText()).resolves.toBe('该排队名额已经抽过奖了');
      await screenshot(page, 'stub-lottery-refused');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('exchange: choose points or love value, the exact preview, confirm, the result', async () => {
    const { page, errors } = await newTouchPage(browser);
    const previews = await answer(page, '/rest/v1/rpc/preview_exchange', (body) => ({
      json: body.p_target === 'points'
        ? { entry_id: entryId, target: 'points', remaining_fen: 10000, exchange_bps: 10000, amount: 10000, frozen: false }
        : { entry_id: entryId, target: 'love', remaining_fen: 10000, exchange_bps: 5000, amount: 5000, frozen: true },
    }));
    const exchanges = await answer(page, '/rest/v1/rpc/exchange_entry', () => ({
      json: { entry_id: entryId, target: 'points', remaining_fen: 10000, exchange_bps: 10000, amount: 10000, frozen: false,
              entry_status: 'exchanged', balance_after: 10000, exchanged_at: new Date().toISOString() },
    }));
    await shotOnFailure(page, 'stub-exchange', async () => {
      await openAs(page, stack.h5Url, '/pages/index/index', DEMO.two);
      const card = top(page).locator(`[data-testid="entry-card"][data-entry-id="${entryId}"]`);
      await expect(card.getByTestId('exchange-button').innerText()).resolves.toBe('兑积分');
      await card.getByTestId('exchange-button').click();
      await expect(top(page).getByTestId('exchange-remaining').innerText()).resolves.toBe('¥100.00');
      await expect(top(page).getByTestId('exchange-submit').getAttribute('class')).resolves.toContain('disabled');

      await top(page).getByTestId('target-love').click();
      await expect(top(page).getByTestId('exchange-amount').innerText()).resolves.toBe('50.00 爱心值');
      await expect(top(page).getByTestId('exchange-preview').innerText()).resolves.toContain('到账后冻结');
      await top(page).getByTestId('target-points').click();
      await top(page).getByTestId('exchange-amount').filter({ hasText: '10,000 积分' }).waitFor();
      await screenshot(page, 'stub-exchange-preview');

      await top(page).getByTestId('exchange-submit').click();
      await expect(page.getByTestId('confirm-text').innerText()).resolves.toContain('将待返权益 ¥100.00 兑积分为 10,000 积分');
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(page).getByTestId('exchange-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('exchange-done').innerText()).resolves.toContain('获得 10,000 积分');
      await screenshot(page, 'stub-exchange-done');
      await expectNoRawErrors(page);
    });
    expect(previews).toEqual([{ p_entry_id: entryId, p_target: 'love' }, { p_entry_id: entryId, p_target: 'points' }]);
    expect(exchanges).toEqual([{ p_entry_id: entryId, p_target: 'points' }]);
    expect(errors).toEqual([]);
  });

  test('points transfer: validate, confirm, result; a refusal in Chinese', async () => {
    await db.admin.query(`update rebate.wallets set points = 500 where member_id = $1`, [DEMO.two.id]);
    const { page, errors } = await newTouchPage(browser);
    let n = 0;
    const calls = await answer(page, '/rest/v1/rpc/transfer_points', (body) => {
      n += 1;
      if (n === 1) return { status: 400, json: { code: 'P0001', message: 'member_not_found', hint: '对方会员不存在', details: null } };
      return { json: { transfer_id: 1, to_member_code: body.p_to_member_code, to_nickname: '演**', points: body.p_points, balance_after: 200 } };
    });
    await shotOnFailure(page, 'stub-transfer', async () => {
      await openAs(page, stack.h5Url, '/packages/wallet/transfer/index', DEMO.two);
      await expect(top(page).getByTestId('transfer-available').innerText()).resolves.toBe('500');
      const code = top(page).getByTestId('transfer-code').locator('input');
      const points = top(page).getByTestId('transfer-points').locator('input');
      await code.fill('demo0002');
      await points.fill('300');
      await expect(top(page).getByTestId('transfer-invalid').innerText()).resolves.toBe('不能转赠给自己');
      await code.fill('ZZZZ9999');
      await points.fill('600');
      await expect(top(page).getByTestId('transfer-invalid').innerText()).resolves.toBe('积分不足');
      await points.fill('300');

      await top(page).getByTestId('transfer-submit').click();
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await expect(top(page).getByTestId('transfer-error').innerText()).resolves.toBe('对方会员不存在');

      await code.fill('DEMO0003');
      await top(page).getByTestId('transfer-submit').click();
      await expect(page.getByTestId('transfer-confirm-text').innerText()).resolves.toBe('向会员 DEMO0003 转赠 300 积分？');
      await page.locator('.nut-dialog-footer-ok').filter({ visible: true }).click();
      await top(page).getByTestId('transfer-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('transfer-done').innerText()).resolves.toContain('已向 演** 转赠 300 积分');
      await expect(top(page).getByTestId('transfer-balance').innerText()).resolves.toBe('剩余积分 200');
      await screenshot(page, 'stub-transfer-done');
      await expectNoRawErrors(page);
    });
    expect(calls).toEqual([{ p_to_member_code: 'ZZZZ9999', p_points: 300 }, { p_to_member_code: 'DEMO0003', p_points: 300 }]);
    expect(errors).toEqual([]);
  });

  test('invite: my QR code (decoded), the merchant invite code for promoters', async () => {
    const { page, errors } = await newTouchPage(browser);
    await answer(page, '/rest/v1/rpc/my_invite', () => ({
      json: { member_code: 'DEMO0002', invite_code: 'DEMO0002', page: 'packages/invite/join/index', is_promoter: true,
              merchant_invite_code: 'MDEMO002', referrer_nickname: '演**', invited_count: 3 },
    }));
    const kinds: unknown[] = [];
    await page.route('**/functions/v1/invite-qrcode', async (route) => {
      const { kind } = JSON.parse(route.request().postData() ?? '{}') as { kind: 'member' | 'merchant' };
      kinds.push(kind);
      const scene = kind === 'merchant' ? 'm=MDEMO002' : 'i=DEMO0002';
      const png = await QRCode.toBuffer(scene, { type: 'png', width: 430, margin: 1 });
      await route.fulfill({ status: 200, contentType: 'application/json',
        body: JSON.stringify({ kind, scene, page: 'packages/invite/join/index', mime: 'image/png', image_base64: png.toString('base64'), wxacode: false }) });
    });
    const decode = async (): Promise<string | null> => {
      const src = await top(page).getByTestId('invite-qr').evaluate((el) => (el.querySelector('img') ?? (el as HTMLImageElement)).getAttribute('src') ?? '');
      const png = PNG.sync.read(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'));
      return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
    };
    await shotOnFailure(page, 'stub-invite', async () => {
      await openAs(page, stack.h5Url, '/packages/invite/index', DEMO.two);
      await top(page).getByTestId('invite-qr').waitFor({ timeout: 20000 });
      await expect(decode()).resolves.toBe('i=DEMO0002');
      await expect(top(page).getByTestId('invite-code').innerText()).resolves.toBe('DEMO0002');
      await expect(top(page).getByTestId('invited-count').innerText()).resolves.toBe('已邀请 3 人 · 我的推荐人 演**');
      await screenshot(page, 'stub-invite');

      await top(page).getByText('邀请商家').click();
      await top(page).getByTestId('invite-code').filter({ hasText: 'MDEMO002' }).waitFor();
      await top(page).getByTestId('invite-qr').waitFor({ timeout: 20000 });
      await waitForValue(decode, 'm=MDEMO002');
      await screenshot(page, 'stub-invite-merchant');
      await expectNoRawErrors(page);
    });
    expect(kinds).toEqual(['member', 'merchant']);
    expect(errors).toEqual([]);
  });

  test('join: a scanned invite binds the referrer; a merchant invite takes the application', async () => {
    const { page, errors } = await newTouchPage(browser);
    const binds = await answer(page, '/rest/v1/rpc/bind_referrer', () => ({ json: { bound: true, already_bound: false, referrer_nickname: '演**' } }));
    const applications = await answer(page, '/rest/v1/rpc/submit_merchant_application', (body) => ({
      json: { application_id: 1, status: 'pending', store_name: body.p_store_name, created_at: new Date().toISOString() },
    }));
    await shotOnFailure(page, 'stub-join', async () => {
      await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent('i=DEMO0002')}`, DEMO.three);
      await top(page).getByTestId('join-bound').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('join-bound').innerText()).resolves.toContain('你的推荐人是 演**');
      await screenshot(page, 'stub-join-bound');

      await page.goto(`${stack.h5Url}/#/packages/invite/join/index?scene=${encodeURIComponent('m=MDEMO002')}`);
      await top(page).getByTestId('merchant-form').waitFor({ timeout: 20000 });
      await top(page).getByTestId('apply-storeName').locator('input').fill('街角面包');
      await top(page).getByTestId('apply-contactName').locator('input').fill('王小明');
      await top(page).getByTestId('apply-contactPhone').locator('input').fill('13800138000');
      await top(page).getByTestId('apply-address').locator('textarea').fill('上海市黄浦区中山东一路 1 号');
      await screenshot(page, 'stub-merchant-form');
      await top(page).getByTestId('apply-submit').click();
      await top(page).getByTestId('apply-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('apply-done').innerText()).resolves.toContain('「街角面包」的入驻申请已提交');
      await expectNoRawErrors(page);
    });
    expect(binds).toEqual([{ p_invite_code: 'DEMO0002' }]);
    expect(applications).toEqual([{ p_invite_code: 'MDEMO002', p_store_name: '街角面包', p_contact_name: '王小明', p_contact_phone: '13800138000', p_address: '上海市黄浦区中山东一路 1 号' }]);
    expect(errors).toEqual([]);
  });
});

// 我的门店 on the H5 build against the real backend: shown on 我的 only to store owners; the
// store's status, its cashier QR code (edge function invite-qrcode), today's and 30 days' sales
// of online orders and cashier payments apart, its queues, its orders (my_store_dashboards,
// store_orders). An owner who also recruits merchants sees their 招商奖励 there and, on 我的团队 →
// 招商商家, the merchants who applied with their 招商码 (my_recruited_merchants).
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, type Shop } from '../helpers/app';
import { createTeamLevel, setRewardSettings, setTeamLevel } from '../helpers/referral';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

async function paid(memberId: string, body: unknown) {
  const [{ o }] = await db.call('authenticated', memberId, `select to_jsonb(public.create_order($1::jsonb)) as o`, [JSON.stringify(body)]);
  await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [o.order_no, `E2E-${o.order_no}`, o.pay_fen]);
}

describeE2E('my store (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    await db.admin.query(`update rebate.stores set owner_member_id = $1 where id = $2`, [DEMO.two.id, shop.storeId]);
    const { rows: [{ id: latte }] } = await db.admin.query(
      `insert into rebate.products (sku, kind, store_id, name, price_fen, rebate_enabled) values ('E2E-LATTE', 'store', $1, '拿铁', 2800, true) returning id::int`,
      [shop.storeId]);
    await paid(DEMO.three.id, { channel: 'store', store_id: shop.storeId, lines: [{ product_id: latte, quantity: 2 }] });
    await paid(DEMO.three.id, { channel: 'cashier', store_id: shop.storeId, amount_fen: 1288 });
    // the owner also recruits merchants (招商): one merchant approved and paid at its cashier, one still 审核中
    await setRewardSettings(db, { merchant_recruit_bps: 200 });
    await createTeamLevel(db, { id: 1, name: '招商经理', canRecruit: true });
    await setTeamLevel(db, DEMO.two.id, 1);
    const apply = async (openid: string, name: string) => {
      const [{ id }] = (await db.admin.query(`select public.upsert_member_by_openid($1) as id`, [openid])).rows;
      const [{ a }] = await db.call('authenticated', id, `select to_jsonb(public.submit_merchant_application('DEMO0002', $1, '王师傅', '13800138000', '中山路 1 号', '91330100MA2XXXXX1Y')) as a`, [name]);
      return Number(a.application_id);
    };
    const approvedId = await apply('e2e-recruit-1', '老王烧烤');
    const [{ r }] = await db.call('authenticated', DEMO.one.id, `select to_jsonb(public.admin_approve_merchant_application($1)) as r`, [approvedId]);
    await paid(DEMO.three.id, { channel: 'cashier', store_id: r.store.store_id, amount_fen: 15000 });   // 2% → ¥3.00
    await apply('e2e-recruit-2', '小李面馆');
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('the owner runs the store from 我的门店; others do not see the link', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'my-store', async () => {
      await openAs(page, stack.h5Url, '/pages/member/index', DEMO.two);
      await top(page).getByTestId('link-my-store').waitFor({ timeout: 20000 });
      await top(page).locator('.nut-cell').filter({ hasText: '我的门店' }).click();
      await top(page).getByTestId('store-name').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('store-name').innerText()).resolves.toBe('街角咖啡');
      await expect(top(page).getByTestId('store-status').innerText()).resolves.toBe('营业中');
      await expect(top(page).getByTestId('sales-online-today').innerText()).resolves.toBe('1 单 ¥56.00');
      await expect(top(page).getByTestId('sales-cashier-today').innerText()).resolves.toBe('1 单 ¥12.88');
      await expect(top(page).getByTestId('sales-cashier-30d').innerText()).resolves.toBe('1 单 ¥12.88');
      await top(page).getByTestId('store-queue').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('store-queue').first().innerText()).resolves.toMatch(/排队中 \d+ 个 · 待返 ¥[\d,.]+ · 已返 ¥/);
      await expect(top(page).getByTestId('store-order').count()).resolves.toBe(2);
      await expect(top(page).getByTestId('store-order').first().innerText()).resolves.toContain('演**');
      await top(page).getByTestId('show-cashier-qr').click();
      await top(page).getByTestId('cashier-qr').waitFor({ timeout: 20000 });
      await expectNoRawErrors(page);
      await screenshot(page, 'my-store');
      // 招商奖励: the owner is also a promoter who recruits merchants
      await expect(top(page).getByTestId('store-recruit-total').innerText()).resolves.toBe('¥3.00');
      await top(page).getByTestId('store-recruit-link').click();
      await top(page).getByTestId('merchant-list').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('recruited-name').allInnerTexts()).resolves.toEqual(['小李面馆', '老王烧烤']);
      await expect(top(page).getByTestId('recruited-status').allInnerTexts()).resolves.toEqual(['审核中', '已通过 · 营业中']);
      await expect(top(page).getByTestId('recruited-reward').allInnerTexts()).resolves.toEqual(['—', '¥3.00']);
      await expect(top(page).getByTestId('recruit-total').innerText()).resolves.toBe('¥3.00');
      await expectNoRawErrors(page);
      await screenshot(page, 'team-recruited-merchants');
    });
    expect(errors).toEqual([]);

    const other = await newTouchPage(browser);
    await openAs(other.page, stack.h5Url, '/pages/member/index', DEMO.three);
    await top(other.page).getByTestId('link-wallet').waitFor({ timeout: 20000 });
    await expect(top(other.page).getByTestId('link-my-store').count()).resolves.toBe(0);
  });
});

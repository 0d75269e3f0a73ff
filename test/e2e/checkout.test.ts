// 确认订单 on the H5 build against the real backend: product → checkout with quantity, a
// remembered delivery address, 积分 / 爱心值 deduction with the exact preview_order figures and
// what the deduction setting means for the entitlement, a remark; then the order list's status
// tabs and paying or cancelling a pending order from its detail.
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, fillAddress, newTouchPage, openAs, seedShop, shotOnFailure, stubDevPayIfMissing, type Shop } from '../helpers/app';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

describeE2E('checkout and orders (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    await db.admin.query(`select rebate.post_ledger($1, 'points', 3000, 'admin_adjustment')`, [DEMO.two.id]);
    await db.admin.query(`select rebate.post_ledger($1, 'love', 1250, 'admin_adjustment')`, [DEMO.two.id]);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('buy with an address, points and love value deduction and a remark: the exact preview, then paid', async () => {
    const { page, errors } = await newTouchPage(browser);
    await stubDevPayIfMissing(page, db);
    await shotOnFailure(page, 'checkout', async () => {
      await openAs(page, stack.h5Url, `/packages/shop/detail/index?id=${shop.productId}`, DEMO.two);
      await top(page).getByTestId('buy-now').click();
      await top(page).getByTestId('checkout-entitlement').waitFor({ timeout: 20000 });
      // no address yet: a mall order cannot be placed
      await expect(top(page).getByTestId('checkout-blocked').innerText()).resolves.toBe('请填写收货地址');
      await expect(top(page).getByTestId('place-order').getAttribute('class')).resolves.toContain('disabled');
      await top(page).getByTestId('address-card').click();
      await top(page).getByTestId('address-phone').locator('input').fill('12');
      await expect(top(page).getByTestId('address-problem').innerText()).resolves.toBe('请填写收货人（最多 20 个字）');
      await fillAddress(page);
      await expect(top(page).getByTestId('address-who').innerText()).resolves.toBe('张三 138****8000');

      // two pieces: ¥200.00, entitlement 100%
      await top(page).locator('.nut-inputnumber-add').click();
      await top(page).getByTestId('sum-goods').filter({ hasText: '¥200.00' }).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('checkout-entitlement').innerText()).resolves.toContain('支付后获得待返权益 ¥200.00');
      // points: 3,000 points deduct ¥30.00; love value ¥12.50; entitlement on the cash paid
      await top(page).getByTestId('use-points').click();
      await top(page).getByTestId('sum-points').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('sum-points').innerText()).resolves.toBe('-¥30.00');
      await expect(top(page).getByTestId('points-available').innerText()).resolves.toBe('可用 3,000 积分，本单使用 3,000 积分');
      await top(page).getByTestId('use-love').click();
      await top(page).getByTestId('sum-love').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('sum-love').innerText()).resolves.toBe('-¥12.50');
      await top(page).getByTestId('sum-pay').filter({ hasText: '¥157.50' }).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('checkout-entitlement').innerText()).resolves.toContain('支付后获得待返权益 ¥157.50');
      await top(page).getByTestId('checkout-remark').locator('textarea').fill('请工作日送货');
      await screenshot(page, 'checkout');
      await top(page).getByTestId('place-order').click();
      await top(page).getByTestId('pay-success').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('order-pay').innerText()).resolves.toBe('¥157.50');
      await expect(top(page).getByTestId('order-delivery').innerText()).resolves.toContain('张三 138****8000');
      await expect(top(page).getByTestId('order-remark').innerText()).resolves.toBe('请工作日送货');
      await expectNoRawErrors(page);
      await screenshot(page, 'checkout-paid');
    });
    const { rows } = await db.admin.query(
      `select goods_fen::int, points_deduct_fen::int, love_deduct_fen::int, pay_fen::int, delivery_name, delivery_phone, delivery_region, delivery_address, remark, status
         from rebate.orders where member_id = $1`, [DEMO.two.id]);
    expect(rows).toEqual([{ goods_fen: 20000, points_deduct_fen: 3000, love_deduct_fen: 1250, pay_fen: 15750, delivery_name: '张三',
      delivery_phone: '13800138000', delivery_region: '浙江省 杭州市 西湖区', delivery_address: '文三路 100 号', remark: '请工作日送货', status: 'paid' }]);
    expect(errors).toEqual([]);
  });

  test('the address is remembered; deduction that does not participate says so before paying', async () => {
    await db.admin.query(`update rebate.settings set deduction_participates = false`);
    await db.admin.query(`select rebate.post_ledger($1, 'points', 500, 'admin_adjustment')`, [DEMO.two.id]);
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'checkout-excluded', async () => {
      await openAs(page, stack.h5Url, `/packages/shop/checkout/index?product_id=${shop.productId}&quantity=1`, DEMO.two);
      await top(page).getByTestId('checkout-entitlement').waitFor({ timeout: 20000 });
      // a new browser context has no remembered address yet: fill it once
      if (await top(page).getByTestId('address-empty').count()) {
        await top(page).getByTestId('address-card').click();
        await fillAddress(page);
      }
      await top(page).getByTestId('use-points').click();
      await top(page).getByTestId('checkout-no-entry').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('checkout-no-entry').innerText()).resolves.toBe('使用抵扣的订单不参与排队：关闭抵扣后可获得待返权益');
      await expect(top(page).getByTestId('sum-pay').innerText()).resolves.toBe('¥95.00');
      await screenshot(page, 'checkout-deduction-excluded');
      await top(page).getByTestId('use-points').click();
      await top(page).getByTestId('checkout-entitlement').waitFor({ timeout: 20000 });
      // the address survives a reload (remembered on the device)
      await page.reload();
      await top(page).getByTestId('address-who').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('address-who').innerText()).resolves.toBe('张三 138****8000');
    });
    await db.admin.query(`update rebate.settings set deduction_participates = true`);
    expect(errors).toEqual([]);
  });

  test('order list tabs; a pending order is cancelled or paid from its detail', async () => {
    const body = JSON.stringify({ channel: 'mall', lines: [{ product_id: shop.productId, quantity: 1 }] });
    const [a] = await db.call('authenticated', DEMO.two.id, `select (public.create_order($1::jsonb)).order_id as id`, [body]);
    const [b] = await db.call('authenticated', DEMO.two.id, `select (public.create_order($1::jsonb)).order_id as id`, [body]);
    const { page, errors } = await newTouchPage(browser);
    const outside: string[] = [];
    page.on('request', (r) => { if (!r.url().startsWith(stack.h5Url) && !r.url().startsWith('data:')) outside.push(r.url()); });
    await stubDevPayIfMissing(page, db);
    await shotOnFailure(page, 'orders-tabs', async () => {
      await openAs(page, stack.h5Url, '/packages/shop/orders/index', DEMO.two);
      await top(page).getByTestId('order-card').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('order-card').count()).resolves.toBe(3);
      await top(page).locator('.nut-tabs-titles-item').filter({ hasText: '待支付' }).click();
      await top(page).getByTestId('order-card').nth(1).waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('order-status').allInnerTexts()).resolves.toEqual(['待支付', '待支付']);
      await screenshot(page, 'orders-pending-tab');
      await top(page).locator('.nut-tabs-titles-item').filter({ hasText: '退款售后' }).click();
      await top(page).getByTestId('empty').waitFor({ timeout: 20000 });
      // the empty illustration is the app's own, nothing loads from an outside CDN
      await top(page).getByTestId('art-empty').waitFor({ timeout: 20000 });
      expect(outside).toEqual([]);
      await screenshot(page, 'orders-empty-tab');
      await top(page).locator('.nut-tabs-titles-item').filter({ hasText: '已支付' }).click();
      await top(page).getByTestId('order-card').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('order-status').allInnerTexts()).resolves.toEqual(['已支付']);

      await page.goto(`${stack.h5Url}/#/packages/shop/order/index?id=${a.id}`);
      await top(page).getByTestId('cancel-order').click();
      await top(page).getByTestId('order-status').filter({ hasText: '已取消' }).waitFor({ timeout: 20000 });
      await page.goto(`${stack.h5Url}/#/packages/shop/order/index?id=${b.id}`);
      await top(page).getByTestId('pay-order').click();
      await top(page).getByTestId('pay-success').waitFor({ timeout: 20000 });
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });
});

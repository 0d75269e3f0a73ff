// 我的团队 / 佣金明细 on the H5 build against the real backend: the counts and earnings
// (my_team_summary), direct and indirect members masked with their joined dates (my_team), and
// each reward with its kind, source order and rule (my_rewards).
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, type Shop } from '../helpers/app';
import { bind, setRewardSettings } from '../helpers/referral';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

describeE2E('my team and commissions (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    // DEMO one invites two, two invites three; direct 10%, indirect 5%
    await setRewardSettings(db, { referral_direct_bps: 1000, referral_indirect_bps: 500 });
    await bind(db, DEMO.two.id, DEMO.one.id);
    await bind(db, DEMO.three.id, DEMO.two.id);
    const [{ o }] = await db.call('authenticated', DEMO.three.id, `select to_jsonb(public.create_order($1::jsonb)) as o`,
      [JSON.stringify({ channel: 'mall', lines: [{ product_id: shop.productId, quantity: 1 }] })]);
    await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [o.order_no, `E2E-${o.order_no}`, o.pay_fen]);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('counts, members by depth, rewards with their source', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'team', async () => {
      await openAs(page, stack.h5Url, '/pages/member/index', DEMO.one);
      await top(page).getByTestId('link-team').waitFor({ timeout: 20000 });
      await top(page).locator('.nut-cell').filter({ hasText: '我的团队' }).click();
      await top(page).getByTestId('team-summary').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('team-direct-count').innerText()).resolves.toBe('1');
      await expect(top(page).getByTestId('team-indirect-count').innerText()).resolves.toBe('1');
      await expect(top(page).getByTestId('team-earned').innerText()).resolves.toBe('¥5.00');
      await expect(top(page).getByTestId('team-member-name').allInnerTexts()).resolves.toEqual(['演**']);
      await screenshot(page, 'team-direct');
      await top(page).locator('.nut-tabs-titles-item').filter({ hasText: '间推成员' }).click();
      await top(page).getByTestId('team-member').filter({ hasText: '经 演** 邀请' }).waitFor({ timeout: 20000 });
      await top(page).locator('.nut-tabs-titles-item').filter({ hasText: '佣金明细' }).click();
      await top(page).getByTestId('reward-row').first().waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('reward-kind').allInnerTexts()).resolves.toEqual(['间推奖励']);
      await expect(top(page).getByTestId('reward-amount').innerText()).resolves.toBe('+¥5.00');
      await expect(top(page).getByTestId('reward-row').innerText()).resolves.toMatch(/订单 \d{4}\*{4}\d{4} · 演\*\*/);
      await expect(top(page).getByTestId('reward-row').innerText()).resolves.toContain('5% × ¥100.00');
      await expectNoRawErrors(page);
      await screenshot(page, 'team-rewards');
    });
    expect(errors).toEqual([]);
  });
});

// 工会排队 (SPEC §13) on the real H5 build in Chromium: in union mode the queue page shows my
// union entries (quota, received, remaining, place, amount ahead, estimate, acceleration with
// the referee order), and the 分红池 page shows yesterday's pool, the carry-over, the entries
// exited and the last days as bars.
import type { Browser } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure } from '../helpers/app';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { buy, createProduct, reconcile } from '../helpers/engine';
import { bind } from '../helpers/referral';
import { closeDay, enableUnion } from '../helpers/union';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;

describeE2E('union queue pages (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    const shop = await seedShop(db);
    await enableUnion(db, { union_accel_bps: 1000 });
    const big = await createProduct(db, { priceFen: 100000, name: '茶具礼盒' });
    // two days ago: DEMO2 and DEMO1 join; the pool (60.00 + 600.00) pays DEMO2's 110.00
    await buy(db, DEMO.two.id, shop.productId);
    await buy(db, DEMO.one.id, big);
    await closeDay(db, -2);
    // yesterday: DEMO2 joins again; DEMO3 (DEMO2's referee) buys: 10.00 acceleration to DEMO2
    await buy(db, DEMO.two.id, shop.productId);
    await bind(db, DEMO.three.id, DEMO.two.id);
    await buy(db, DEMO.three.id, shop.productId);
    await closeDay(db, -1);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 120000);

  afterAll(async () => {
    expect(await reconcile(db)).toEqual([]);
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('the queue page shows my union entries; the 分红池 page shows the pool', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'union', async () => {
      await openAs(page, stack.h5Url, '/pages/index/index', DEMO.two);
      await page.getByTestId('union-section').waitFor({ timeout: 20000 });
      const cards = page.getByTestId('union-card');
      await expect(cards.count()).resolves.toBe(2);
      // newest first: the waiting entry with its acceleration, then the completed one
      const waiting = cards.nth(0);
      await expect(waiting.getByTestId('union-status').textContent()).resolves.toBe('排队中');
      await expect(waiting.getByTestId('union-quota').textContent()).resolves.toBe('分红额度 ¥110.00');
      await expect(waiting.getByTestId('union-received').textContent()).resolves.toBe('已返 ¥10.00');
      await expect(waiting.getByTestId('union-remaining').textContent()).resolves.toBe('待返 ¥100.00');
      await expect(waiting.getByTestId('union-position').textContent()).resolves.toBe('排第 2 位，前面还需 ¥1,100.00');
      await expect(waiting.getByTestId('union-eta').textContent()).resolves.toMatch(/^预计完成：\d{4}-\d{2}-\d{2}( 至 \d{4}-\d{2}-\d{2})?$/);
      await expect(waiting.getByTestId('union-accel').textContent()).resolves.toMatch(/^推广加速 ¥10\.00（好友订单 \d{4}\*{4}\d{4}）$/);
      await expect(cards.nth(1).getByTestId('union-status').textContent()).resolves.toBe('已完成');
      await screenshot(page, 'union-queue');

      await page.getByTestId('go-pool').click();
      await page.getByTestId('pool-page').waitFor({ timeout: 20000 });
      // yesterday: 60.00 + 60.00 contributed, 10.00 accelerated; the carry-over 550.00 + 110.00 cannot pay DEMO1's 1100.00
      await page.getByTestId('pool-yesterday').waitFor();
      await expect(page.getByTestId('pool-yesterday').textContent()).resolves.toBe('¥110.00');
      await expect(page.getByTestId('pool-carry').textContent()).resolves.toBe('结转 ¥660.00');
      await expect(page.getByTestId('pool-exited').textContent()).resolves.toBe('返满出列 0 个');
      await expect(page.getByTestId('pool-bar').count()).resolves.toBe(2);
      await screenshot(page, 'union-pool');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });
});

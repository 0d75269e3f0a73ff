// Sharing on the H5 build against the real backend: the share poster (分享海报) is drawn on a
// canvas with the member's mini-program code (invite-qrcode) and the programme's pitch, shown
// and downloaded; the code on it decodes to the member's invite scene. A page opened from a
// share (?inv=<invite code>: 转发 and 朋友圈 add it, hooks/use-invite-share.ts) binds the sharer
// as referrer once the member is signed in (source 'share'); the member's own code binds nothing.
import fs from 'node:fs';
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
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

/** The scene on a poster: the local WeChat fake draws the mini-program code as a QR code of {page, scene}. */
function sceneOfPng(png: { width: number; height: number; data: Buffer }): string | null {
  const text = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
  if (text === null || !text.startsWith('{')) return text;
  return (JSON.parse(text) as { scene?: string }).scene ?? null;
}

describeE2E('share poster and shared links (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedShop(db);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('分享海报: the invite page opens the poster; it carries my code and the pitch, and downloads as a PNG', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'poster', async () => {
      await openAs(page, stack.h5Url, '/packages/invite/index', DEMO.two);
      await top(page).getByTestId('open-poster').click();
      const image = top(page).getByTestId('poster-image');
      await image.waitFor({ timeout: 30000 });
      const src = await image.evaluate((el) => (el.querySelector('img') ?? (el as HTMLImageElement)).getAttribute('src') ?? '');
      expect(src).toMatch(/^data:image\/png;base64,/);
      const shown = PNG.sync.read(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'));
      expect([shown.width, shown.height]).toEqual([750, 1250]);
      expect(sceneOfPng(shown)).toBe('i=DEMO0002');
      await expect(top(page).innerText()).resolves.toContain('好友识别海报上的小程序码即可接受你的邀请');
      await screenshot(page, 'poster');

      const [download] = await Promise.all([page.waitForEvent('download'), top(page).getByTestId('save-poster').click()]);
      expect(download.suggestedFilename()).toBe('poster-member.png');
      const saved = PNG.sync.read(fs.readFileSync((await download.path())!));
      expect(sceneOfPng(saved)).toBe('i=DEMO0002');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('a merchant poster for members who recruit: it carries the 招商码 scene', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'poster-merchant', async () => {
      // DEMO0001 is the platform admin: its member code is also a (platform) 招商码
      await openAs(page, stack.h5Url, '/packages/invite/poster/index?kind=merchant', DEMO.one);
      const image = top(page).getByTestId('poster-image');
      await image.waitFor({ timeout: 30000 });
      const src = await image.evaluate((el) => (el.querySelector('img') ?? (el as HTMLImageElement)).getAttribute('src') ?? '');
      expect(sceneOfPng(PNG.sync.read(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64')))).toBe('m=DEMO0001');
      await screenshot(page, 'poster-merchant');
    });
    expect(errors).toEqual([]);
  });

  test('a shared product page (?inv=) binds the sharer once I am signed in; my own code binds nothing', async () => {
    // the home page shared by myself: no binding is even tried
    const own = await newTouchPage(browser);
    const calls: string[] = [];
    own.page.on('request', (r) => calls.push(r.url()));
    await openAs(own.page, stack.h5Url, `/pages/index/index?inv=${DEMO.two.code}`, DEMO.two);
    await top(own.page).getByTestId('display-name').waitFor({ timeout: 20000 });
    await own.page.waitForLoadState('networkidle');
    expect(calls.some((u) => u.includes('/rpc/my_entries'))).toBe(true);
    expect(calls.filter((u) => u.includes('/rpc/bind_referrer'))).toEqual([]);

    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'share-bind', async () => {
      await openAs(page, stack.h5Url, `/packages/shop/detail/index?id=${shop.productId}&inv=${DEMO.two.code.toLowerCase()}`, DEMO.three);
      await top(page).getByText('明前龙井').first().waitFor({ timeout: 20000 });
      await page.getByText('已接受 演** 的邀请').waitFor({ timeout: 20000 });
      await screenshot(page, 'share-bind');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
    const { rows } = await db.admin.query(`select referrer_id, source from rebate.referrals where member_id = $1`, [DEMO.three.id]);
    expect(rows).toEqual([{ referrer_id: DEMO.two.id, source: 'share' }]);
  });
});

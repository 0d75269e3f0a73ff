// Invite (邀请) and join (扫码加入) on the H5 build: my referral QR code is an image from the
// backend, decoded here to its scene; a scanned invite binds the referrer after login; a
// merchant invite opens the application form. These drive issue 6's my_invite, bind_referrer,
// submit_merchant_application and the invite-qrcode edge function, which do not exist yet:
// each test is skipped, with a notice, until the backend defines what it needs.
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, functionExists, missingRpcs, newTouchPage, openAs, seedShop, shotOnFailure } from '../helpers/app';

// pngjs ships no types; this is the part we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } } };

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

const needInvite = [...missingRpcs(['my_invite']), ...(functionExists('invite-qrcode') ? [] : ['edge function invite-qrcode'])];
const needBind = missingRpcs(['bind_referrer', 'my_invite']);
const needMerchant = missingRpcs(['submit_merchant_application', 'my_invite']);
for (const [what, missing] of [['invite QR', needInvite], ['join', needBind], ['merchant application', needMerchant]] as const) {
  if (missing.length) console.warn(`e2e ${what} skipped until the backend defines: ${missing.join(', ')}`);
}
const whenBackend = (missing: string[]) => (missing.length ? test.skip : test);

let db: TestDb;
let stack: TestStack;
let browser: Browser;

const top = (page: Page) => page.locator('.taro_page').filter({ visible: true }).last();

/** The scene a code image carries: a plain QR code holds the scene itself; the local WeChat
 *  fake's stand-in for a mini-program code holds {page, scene, env_version} as JSON. */
function sceneOfImage(dataUrl: string): string | null {
  const match = /^data:image\/(?:png|jpeg);base64,(.+)$/.exec(dataUrl);
  if (!match) throw new Error(`the invite code is not an image data URL: ${dataUrl.slice(0, 40)}`);
  const png = PNG.sync.read(Buffer.from(match[1], 'base64')); // both are PNG bytes locally
  const text = jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data ?? null;
  if (text === null || !text.startsWith('{')) return text;
  const decoded = JSON.parse(text) as { page?: string; scene?: string };
  expect(decoded.page).toBe('packages/invite/join/index');
  return decoded.scene ?? null;
}

describeE2E('invite code and joining by scanned code (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    await seedShop(db);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  whenBackend(needInvite)('my invite page shows a QR code that decodes to my invite scene', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'invite', async () => {
      await openAs(page, stack.h5Url, '/packages/invite/index', DEMO.two);
      const image = top(page).getByTestId('invite-qr');
      await image.waitFor({ timeout: 20000 });
      const code = await top(page).getByTestId('invite-code').innerText();
      const src = await image.evaluate((el) => (el.querySelector('img') ?? (el as HTMLImageElement)).getAttribute('src') ?? '');
      expect(sceneOfImage(src)).toBe(`i=${code}`);
      await screenshot(page, 'invite');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  whenBackend(needBind)('a scanned invite binds the referrer after login, once', async () => {
    const [invite] = await db.call('authenticated', DEMO.two.id, `select public.my_invite() as i`);
    const scene = encodeURIComponent(`i=${(invite.i as { invite_code: string }).invite_code}`);
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'join', async () => {
      await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${scene}`, DEMO.three);
      await top(page).getByTestId('join-bound').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('join-bound').innerText()).resolves.toContain('已接受邀请');
      await screenshot(page, 'join-bound');
      // scanning again changes nothing and says so
      await page.reload();
      await top(page).getByTestId('join-bound').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('join-bound').innerText()).resolves.toContain('你已有推荐人');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  whenBackend(needMerchant)('a merchant invite opens the application form, which submits', async () => {
    const [invite] = await db.call('authenticated', DEMO.one.id, `select public.my_invite() as i`);
    const code = (invite.i as { merchant_invite_code: string | null }).merchant_invite_code;
    if (!code) throw new Error('DEMO0001 (admin) should have a merchant invite code: which members are promoters?');
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'merchant', async () => {
      await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent(`m=${code}`)}`, DEMO.three);
      await top(page).getByTestId('merchant-form').waitFor({ timeout: 20000 });
      await top(page).getByTestId('apply-storeName').locator('input').fill('街角面包');
      await top(page).getByTestId('apply-contactName').locator('input').fill('王小明');
      await top(page).getByTestId('apply-contactPhone').locator('input').fill('13800138000');
      await top(page).getByTestId('apply-address').locator('textarea').fill('上海市黄浦区中山东一路 1 号');
      await top(page).getByTestId('apply-submit').click();
      await top(page).getByTestId('apply-done').waitFor({ timeout: 20000 });
      await screenshot(page, 'merchant-applied');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('an unknown code says so in Chinese', async () => {
    const { page } = await newTouchPage(browser);
    await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent('x=NOTHING')}`, DEMO.three);
    await top(page).getByTestId('join-invalid').waitFor({ timeout: 20000 });
    await expect(top(page).getByTestId('join-invalid').innerText()).resolves.toContain('二维码无效');
    await screenshot(page, 'join-invalid');
    await expectNoRawErrors(page);
  });
});

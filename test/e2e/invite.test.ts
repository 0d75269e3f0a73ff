// Invite (邀请) and join (扫码加入) on the H5 build against the real backend: my referral QR
// code is an image from the invite-qrcode edge function (the local WeChat fake), decoded here
// to its scene; a scanned invite binds the referrer after login (refusals in Chinese); a
// merchant invite opens the application form, the admin approves it, and the new store's
// cashier code takes a payment.
import jsQR from 'jsqr';
import type { Browser, Page } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, expectNoRawErrors, newTouchPage, openAs, seedShop, shotOnFailure, stubDevPayIfMissing } from '../helpers/app';

// pngjs ships no types; this is the part we use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } } };

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;

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

  test('my invite page shows a QR code that decodes to my invite scene', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'invite', async () => {
      await openAs(page, stack.h5Url, '/packages/invite/index', DEMO.two);
      const image = top(page).getByTestId('invite-qr');
      await image.waitFor({ timeout: 20000 });
      const code = await top(page).getByTestId('invite-code').innerText();
      const src = await image.evaluate((el) => (el.querySelector('img') ?? (el as HTMLImageElement)).getAttribute('src') ?? '');
      expect(sceneOfImage(src)).toBe(`i=${code}`);
      await expect(top(page).getByTestId('invited-count').innerText()).resolves.toBe('已邀请 0 人');
      await screenshot(page, 'invite');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('an admin (may invite merchants) also shows the merchant invite code', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'invite-merchant', async () => {
      await openAs(page, stack.h5Url, '/packages/invite/index', DEMO.one);
      await top(page).getByTestId('invite-qr').waitFor({ timeout: 20000 });
      await top(page).getByText('邀请商家').click();
      await top(page).getByTestId('invite-code').filter({ hasText: DEMO.one.code }).waitFor({ timeout: 20000 });
      let scene: string | null = null;
      for (let i = 0; i < 100 && scene !== `m=${DEMO.one.code}`; i += 1) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 100));
        const src = await top(page).getByTestId('invite-qr').evaluate((el) => (el.querySelector('img') ?? (el as HTMLImageElement)).getAttribute('src') ?? '');
        scene = src.startsWith('data:') ? sceneOfImage(src) : null;
      }
      expect(scene).toBe(`m=${DEMO.one.code}`);
      await screenshot(page, 'invite-merchant');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('a scanned invite binds the referrer after login, once', async () => {
    const [invite] = await db.call('authenticated', DEMO.two.id, `select to_jsonb(public.my_invite()) as i`);
    const scene = encodeURIComponent(`i=${(invite.i as { invite_code: string }).invite_code}`);
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'join', async () => {
      await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${scene}`, DEMO.three);
      await top(page).getByTestId('join-bound').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('join-bound').innerText()).resolves.toContain('已接受邀请');
      await expect(top(page).getByTestId('join-bound').innerText()).resolves.toContain('你的推荐人是 演**');
      await screenshot(page, 'join-bound');
      // scanning again changes nothing and says so
      await page.reload();
      await top(page).getByTestId('join-bound').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('join-bound').innerText()).resolves.toContain('你已有推荐人');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
  });

  test('binding refusals are shown in Chinese: own code, already bound elsewhere, a cycle', async () => {
    const codeOf = async (memberId: string) => {
      const [row] = await db.call('authenticated', memberId, `select to_jsonb(public.my_invite()) as i`);
      return (row.i as { invite_code: string }).invite_code;
    };
    const cases: Array<[typeof DEMO[keyof typeof DEMO], string, string, string]> = [
      // DEMO0002 scans their own code
      [DEMO.two, await codeOf(DEMO.two.id), '不能邀请自己', '不能绑定自己为推荐人'],
      // DEMO0003 is bound to DEMO0002 (previous test) and scans DEMO0001's code
      [DEMO.three, await codeOf(DEMO.one.id), '你已有推荐人', '您已绑定推荐人，不能更换'],
      // DEMO0002 scans the code of DEMO0003, who is below them
      [DEMO.two, await codeOf(DEMO.three.id), '无法绑定该推荐人', '不能绑定自己邀请的成员为推荐人'],
    ];
    for (const [member, code, title, text] of cases) {
      const { page, errors } = await newTouchPage(browser);
      await shotOnFailure(page, 'join-refused', async () => {
        await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent(`i=${code}`)}`, member);
        const card = top(page).getByTestId('join-refused');
        await card.waitFor({ timeout: 20000 });
        await expect(card.innerText()).resolves.toContain(title);
        await expect(card.innerText()).resolves.toContain(text);
        await expectNoRawErrors(page);
      });
      expect(errors).toEqual([]);
      await page.context().close();
    }
    const { rows } = await db.admin.query(`select member_id from rebate.referrals order by member_id`);
    expect(rows.map((r) => r.member_id)).toEqual([DEMO.three.id]);
  });

  test('a merchant invite opens the application form; approved, the store\'s cashier code takes a payment', async () => {
    const [invite] = await db.call('authenticated', DEMO.one.id, `select to_jsonb(public.my_invite()) as i`);
    const code = (invite.i as { merchant_invite_code: string | null }).merchant_invite_code;
    if (!code) throw new Error('DEMO0001 (admin) should have a merchant invite code: which members are promoters?');
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'merchant', async () => {
      await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent(`m=${code}`)}`, DEMO.three);
      await top(page).getByTestId('merchant-form').waitFor({ timeout: 20000 });
      // the 招商码 was checked before the form: whose it is
      await expect(top(page).getByTestId('merchant-recruiter').innerText()).resolves.toBe(`招商码 ${code} · 平台招商`);
      await screenshot(page, 'merchant-form');
      await top(page).getByTestId('apply-storeName').locator('input').fill('街角面包');
      await top(page).getByTestId('apply-contactName').locator('input').fill('王小明');
      await top(page).getByTestId('apply-contactPhone').locator('input').fill('13800138000');
      await top(page).getByTestId('apply-address').locator('textarea').fill('上海市黄浦区中山东一路 1 号');
      await top(page).getByTestId('apply-licence').locator('input').fill('91310000ma1k3');
      await expect(top(page).getByTestId('apply-problem').innerText()).resolves.toContain('营业执照号'); // 13 characters
      await top(page).getByTestId('apply-licence').locator('input').fill('91310000ma1k3xyz7q');
      await top(page).getByTestId('apply-submit').click();
      await top(page).getByTestId('apply-done').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('apply-done').innerText()).resolves.toContain('「街角面包」的入驻申请已提交');
      await screenshot(page, 'merchant-applied');
      await expectNoRawErrors(page);
      // scanning the code again shows the application's status, not a new form
      await page.goto(`${stack.h5Url}/#/packages/invite/join/index?scene=${encodeURIComponent(`m=${code}`)}`);
      await page.reload();
      await top(page).getByTestId('apply-status').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('apply-status').getAttribute('data-status')).resolves.toBe('pending');
      await expect(top(page).getByTestId('apply-status').innerText()).resolves.toContain('入驻申请审核中');
      await expect(top(page).getByTestId('apply-status').innerText()).resolves.toContain('「街角面包」的入驻申请已于');
      await expect(top(page).getByTestId('merchant-form').count()).resolves.toBe(0);
      await screenshot(page, 'merchant-rescan-pending');
    });
    expect(errors).toEqual([]);

    // the application as stored: licence normalised to upper case, recruited by the admin's code
    const { rows: apps } = await db.admin.query(`select id, licence_no, status from rebate.merchant_applications`);
    expect(apps).toEqual([{ id: apps[0].id, licence_no: '91310000MA1K3XYZ7Q', status: 'pending' }]);

    // the platform admin (DEMO0001) approves it through the admin RPC: store, cashier, queues
    const [approved] = await db.call('authenticated', DEMO.one.id,
      `select public.admin_approve_merchant_application($1) as a`, [apps[0].id]);
    const store = (approved.a as { store: { name: string; status: string; cashier: { cashier_code: string; scene: string } | null } }).store;
    expect(store.name).toBe('街角面包');
    expect(store.status).toBe('approved');
    const cashierCode = store.cashier?.cashier_code;
    if (!cashierCode) throw new Error('the approved store has no cashier');
    expect(store.cashier?.scene).toBe(`c=${cashierCode}`);

    // a member scans the new cashier code and pays ¥35.00
    const pay = await newTouchPage(browser);
    await stubDevPayIfMissing(pay.page, db);
    await shotOnFailure(pay.page, 'merchant-cashier', async () => {
      await openAs(pay.page, stack.h5Url, `/packages/cashier/index?scene=${encodeURIComponent(`c=${cashierCode}`)}`, DEMO.two);
      await expect(top(pay.page).getByTestId('cashier-store').innerText()).resolves.toBe('街角面包');
      const keyboard = pay.page.locator('.nut-numberkeyboard').filter({ visible: true });
      for (const key of '35') await keyboard.locator('.key').filter({ hasText: new RegExp(`^${key}$`) }).first().tap();
      await expect(top(pay.page).getByTestId('cashier-pay').innerText()).resolves.toContain('¥35.00');
      await pay.page.locator('.nut-numberkeyboard .key.confirm').filter({ visible: true }).first().tap();
      await top(pay.page).getByTestId('cashier-done').waitFor({ timeout: 20000 });
      await screenshot(pay.page, 'merchant-cashier-paid');
      await expectNoRawErrors(pay.page);
    });
    expect(pay.errors).toEqual([]);
    const { rows: orders } = await db.admin.query(
      `select o.channel, o.status, o.pay_fen, s.name from rebate.orders o join rebate.stores s on s.id = o.store_id where s.name = '街角面包'`);
    expect(orders).toEqual([{ channel: 'cashier', status: 'paid', pay_fen: '3500', name: '街角面包' }]);

    // approved: a re-scan says so and leads to 我的门店
    const again = await newTouchPage(browser);
    await shotOnFailure(again.page, 'merchant-rescan-approved', async () => {
      await openAs(again.page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent(`m=${code}`)}`, DEMO.three);
      await top(again.page).getByTestId('apply-status').waitFor({ timeout: 20000 });
      await expect(top(again.page).getByTestId('apply-status').innerText()).resolves.toContain('门店「街角面包」已开通');
      await screenshot(again.page, 'merchant-rescan-approved');
      await top(again.page).getByTestId('go-my-store').click();
      await top(again.page).getByTestId('store-name').waitFor({ timeout: 20000 });
      await expect(top(again.page).getByTestId('store-name').innerText()).resolves.toBe('街角面包');
    });
    expect(again.errors).toEqual([]);
  });

  test('a 招商码 is checked before the form: an unknown one and my own are refused in Chinese', async () => {
    const { page, errors } = await newTouchPage(browser);
    await shotOnFailure(page, 'merchant-refused', async () => {
      await openAs(page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent('m=NOPE1234')}`, DEMO.two);
      await top(page).getByTestId('join-refused').waitFor({ timeout: 20000 });
      await expect(top(page).getByTestId('join-refused').getAttribute('data-reason')).resolves.toBe('invalid_merchant_invite');
      await expect(top(page).getByTestId('join-refused').innerText()).resolves.toContain('招商码无效');
      await expect(top(page).getByTestId('merchant-form').count()).resolves.toBe(0);
      await screenshot(page, 'merchant-invalid');
      await expectNoRawErrors(page);
    });
    expect(errors).toEqual([]);
    // DEMO0002 recruits merchants: their own code is refused before they fill anything in
    await db.admin.query(`insert into rebate.team_levels (id, name, rank, can_recruit_merchants) values (7, '招商经理', 7, true) on conflict do nothing`);
    await db.admin.query(`insert into rebate.promoters (member_id, team_level_id) values ($1, 7) on conflict (member_id) do update set team_level_id = 7`, [DEMO.two.id]);
    const own = await newTouchPage(browser);
    await openAs(own.page, stack.h5Url, `/packages/invite/join/index?scene=${encodeURIComponent(`m=${DEMO.two.code}`)}`, DEMO.two);
    await top(own.page).getByTestId('join-refused').waitFor({ timeout: 20000 });
    await expect(top(own.page).getByTestId('join-refused').innerText()).resolves.toContain('不能使用自己的招商码');
    await db.admin.query(`delete from rebate.promoters where member_id = $1`, [DEMO.two.id]);
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

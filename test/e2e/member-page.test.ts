// The real H5 build in Debian's Chromium: dev login as a demo member, the member page shows
// the member read through supabase-js → h5-server → gateway → Postgres. Screenshots are kept
// under test/artifacts/.
import type { Browser } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, newPhonePage, screenshot } from '../helpers/browser';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT);
const describeE2E = enabled ? describe : describe.skip;
if (!enabled) console.warn('e2e skipped: no Chromium or no dist/h5 (set E2E_REQUIRED=1 to make this a failure)');

let db: TestDb;
let stack: TestStack;
let browser: Browser;

describeE2E('member page (H5)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    await db.admin.query(`
      insert into auth.users (id) values ('00000000-0000-4000-8000-000000000002');
      insert into rebate.members (id, openid, member_code, nickname) values
        ('00000000-0000-4000-8000-000000000002', 'e2e-openid-2', 'DEMO0002', '演示会员二');`);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('log in as a demo member and see the member', async () => {
    const { page, errors } = await newPhonePage(browser);
    await page.goto(`${stack.h5Url}/#/pages/member/index`);
    await page.getByTestId('demo-login-2').click();
    await page.getByTestId('profile').waitFor({ timeout: 20000 });
    await expect(page.getByTestId('member-code').textContent()).resolves.toBe('DEMO0002');
    await expect(page.getByTestId('nickname').textContent()).resolves.toBe('演示会员二');
    await expect(page.getByTestId('level-name').textContent()).resolves.toBe('普通会员');
    await screenshot(page, 'member-page');

    // the session survives a reload (token in Taro storage)
    await page.reload();
    await page.getByTestId('profile').waitFor({ timeout: 20000 });
    await expect(page.getByTestId('member-code').textContent()).resolves.toBe('DEMO0002');

    await page.getByTestId('logout').click();
    await page.getByTestId('login').waitFor();
    expect(errors).toEqual([]);
  });

  test('an unknown demo member gets a Chinese error, not a raw code', async () => {
    const { page } = await newPhonePage(browser);
    await page.goto(`${stack.h5Url}/#/pages/member/index`);
    await page.getByTestId('demo-login-3').click(); // DEMO0003 does not exist in this database
    await page.locator('[data-testid="error"], [data-testid="login"]').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="status"]'));
    const text = await page.locator('body').innerText();
    await screenshot(page, 'member-page-login-refused');
    expect(text).not.toMatch(/member_not_found|P0001|PGRST/);
    expect(text).toMatch(/[\u4e00-\u9fa5]/);
  });
});

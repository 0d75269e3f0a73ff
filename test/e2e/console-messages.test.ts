// 消息推送 in the console (Chromium 1440×900, the built console, the local stack): 运营 sees the
// subscribe-message counts and a dead letter, retries it (audited: pending again, sent by the next
// run), and configures a template id (audited); 财务 has no such page. reconcile() stays clean.
// Screenshot: test/artifacts/console-messages.png.
import type { Browser } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, shotOnFailure } from '../helpers/app';
import { reconcile } from '../helpers/engine';
import { consoleBuildAvailable, consoleLogin, FINANCE, gotoConsole, menuItems, newDesktopPage, seedConsole } from '../helpers/console';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;

let db: TestDb;
let stack: TestStack;
let browser: Browser;

describeE2E('消息推送 (Chromium 1440×900)', () => {
  beforeAll(async () => {
    db = await createTestDb();
    await seedConsole(db);
    await db.admin.query(`update rebate.subscribe_templates set template_id = 'TJOINED' where key = 'queue_joined'`);
    await db.admin.query(`insert into rebate.subscriptions (member_id, template_id, remaining, accepted_total, last_result)
                          values ($1, 'TJOINED', 2, 2, 'accept')`, [DEMO.three.id]);
    for (let i = 0; i < 2; i += 1) {
      await db.admin.query(`insert into rebate.messages (member_id, kind, title, body, amount_fen)
                            values ($1, 'entry_joined', '排队返利排队成功', '订单已加入排队，待返权益¥168.00', 16800)`, [DEMO.three.id]);
    }
    // one was sent, the other gave up after five busy answers
    const claimed = await db.admin.query(`select push_id::int from public.message_push_claim(10, 60) order by push_id`);
    await db.admin.query(`select public.message_push_report($1, 'sent', null, null, '1234567890123456789')`, [claimed.rows[0].push_id]);
    await db.admin.query(`update rebate.message_pushes set attempts = 5 where id = $1`, [claimed.rows[1].push_id]);
    await db.admin.query(`select public.message_push_report($1, 'retry', -1, 'system error', null)`, [claimed.rows[1].push_id]);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });
  afterEach(async () => {
    expect(await reconcile(db)).toEqual([]);
  });

  test('运营: counts, a dead letter retried (audited), a template configured (audited)', async () => {
    const { page, errors } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-messages', async () => {
      await consoleLogin(page, stack.h5Url, DEMO.two.code);
      expect(await menuItems(page)).toContain('消息推送');
      await gotoConsole(page, 'messages');
      await page.getByTestId('page-messages').waitFor();
      const [dead] = (await db.admin.query(`select id::int from rebate.message_pushes where status = 'dead'`)).rows;
      await page.getByTestId(`retry-push-${dead.id}`).waitFor();
      // the counts load on their own: wait for them rather than read them at once
      const count = (status: string) => page.locator(`[data-testid="push-count-${status}"] .ant-statistic-content-value`);
      await count('dead').filter({ hasText: /^1$/ }).waitFor();
      await count('sent').filter({ hasText: /^1$/ }).waitFor();
      expect(await count('pending').innerText()).toBe('0');
      const row = await page.locator('tr', { has: page.getByTestId(`retry-push-${dead.id}`) }).innerText();
      expect(row).toContain('system error');
      expect(row).toContain('排队返利排队成功');
      await screenshot(page, 'console-messages');

      await page.getByTestId(`retry-push-${dead.id}`).click();
      await page.getByText('已重新排入发送').waitFor();
      await page.getByTestId(`retry-push-${dead.id}`).waitFor({ state: 'detached' });
      const after = (await db.admin.query(`select status, attempts, reserved from rebate.message_pushes where id = $1`, [dead.id])).rows[0];
      expect(after).toEqual({ status: 'pending', attempts: 0, reserved: true });
      const audit = (await db.admin.query(`select actor_id, object_id from rebate.audit_log where action = 'message_push.retry'`)).rows;
      expect(audit).toEqual([{ actor_id: DEMO.two.id, object_id: String(dead.id) }]);

      await page.getByTestId('edit-template-rebate_progress').click();
      await page.getByTestId('template-id').fill('TPROGRESS_NEW');
      await page.getByTestId('template-save').click();
      await page.getByText('已保存').waitFor();
      const t = (await db.admin.query(`select template_id from rebate.subscribe_templates where key = 'rebate_progress'`)).rows[0];
      expect(t.template_id).toBe('TPROGRESS_NEW');
      expect((await db.admin.query(`select count(*)::int as n from rebate.audit_log where action = 'subscribe_template.update'`)).rows[0].n).toBe(1);
      expect(errors).toEqual([]);
    });
  });

  test('财务 has no 消息推送 page', async () => {
    const { page } = await newDesktopPage(browser);
    await consoleLogin(page, stack.h5Url, FINANCE.code);
    expect(await menuItems(page)).not.toContain('消息推送');
  });
});

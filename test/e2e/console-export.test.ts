// 导出: the console exports a CSV (UTF-8 with BOM) page by page; the file is parsed here. With
// CONSOLE_EXPORT_BENCH=1 a second test loads a month of 10⁶ ledger rows and runs the console's
// page loop (console_export_page through the gateway, written to a file stream) to measure the
// time and the client's peak memory (not part of npm test: it takes about a minute).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT, startTestStack, TestStack } from '../helpers/stack';
import { chromiumAvailable, h5BuildAvailable, launchBrowser, screenshot } from '../helpers/browser';
import { DEMO, shotOnFailure, type Shop } from '../helpers/app';
import { buy } from '../helpers/engine';
import { api, consoleBuildAvailable, consoleLogin, FINANCE, gotoConsole, memberToken, newDesktopPage, seedConsole } from '../helpers/console';
import { CSV_BOM, csvLine } from '../../client/console/csv';

const enabled = chromiumAvailable() && h5BuildAvailable(ROOT) && consoleBuildAvailable();
const describeE2E = enabled ? describe : describe.skip;
const shanghaiToday = () => new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);

let db: TestDb;
let stack: TestStack;
let browser: Browser;
let shop: Shop;

/** RFC 4180 rows (quoted fields, doubled quotes, CRLF). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; } else field += c;
  }
  return rows;
}

describeE2E('导出 CSV', () => {
  beforeAll(async () => {
    db = await createTestDb();
    shop = await seedConsole(db);
    stack = await startTestStack(db);
    browser = await launchBrowser();
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await db?.close();
  });

  test('财务 exports today\'s orders: a BOM, the Chinese header, one row per order', async () => {
    for (let i = 0; i < 3; i++) await buy(db, DEMO.one.id, shop.productId);
    const { page } = await newDesktopPage(browser);
    await shotOnFailure(page, 'console-export', async () => {
      await consoleLogin(page, stack.h5Url, FINANCE.code);
      await page.evaluate(() => { (window as unknown as { __consoleExportToBlob: boolean }).__consoleExportToBlob = true; });
      await gotoConsole(page, 'export');
      await page.getByTestId('page-export').waitFor();
      const inputs = page.locator('.ant-picker-range input');
      await inputs.nth(0).click();
      await inputs.nth(0).fill(shanghaiToday());
      await inputs.nth(0).press('Enter');
      await inputs.nth(1).fill(shanghaiToday());
      await inputs.nth(1).press('Enter');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-run').click()]);
      await page.getByTestId('export-done').waitFor();
      await screenshot(page, 'console-export');
      const text = fs.readFileSync((await download.path())!, 'utf8');
      expect(text.startsWith(CSV_BOM)).toBe(true);
      const rows = parseCsv(text.slice(1));
      expect(rows[0].slice(0, 4)).toEqual(['订单ID', '订单号', '渠道', '状态']);
      const orders = (await db.admin.query(`select order_no from rebate.orders order by id`)).rows.map((r) => r.order_no);
      expect(rows.slice(1).map((r) => r[1])).toEqual(orders);
      expect(rows[1][7]).toBe('¥100.00');
    });
  });

  (process.env.CONSOLE_EXPORT_BENCH === '1' ? test : test.skip)('a month of 10⁶ ledger rows exports page by page in constant memory (time and peak memory printed)', async () => {
    const N = 1_000_000;
    await db.admin.query(`
      insert into rebate.ledger (member_id, asset, delta, balance_before, balance_after, reason, created_at)
      select $1, 'points', 1, i - 1, i, 'admin_adjustment', timestamptz '2026-11-01 00:00+08' + (i * interval '2.5 seconds')
        from generate_series(1, $2::int) i`, [DEMO.two.id, N]);
    const token = await memberToken(stack.gateway.url, FINANCE.code);
    const file = path.join(os.tmpdir(), `ledger-export-${process.pid}.csv`);
    const out = fs.createWriteStream(file);
    const write = (s: string) => new Promise<void>((resolve) => (out.write(s) ? resolve() : out.once('drain', () => resolve())));
    const base = process.memoryUsage().rss;
    let peak = base;
    let rows = 0;
    let after = 0;
    const t0 = Date.now();
    for (let first = true; ; first = false) {
      const r = await api(stack.gateway.url, '/rest/v1/rpc/console_export_page',
        { p_kind: 'ledger', p_from: '2026-11-01', p_to: '2026-11-30', p_after_id: after, p_limit: 10000 }, token);
      if (r.status !== 200) throw new Error(JSON.stringify(r.body));
      if (first) await write(CSV_BOM + csvLine(r.body.header));
      await write((r.body.rows as unknown[][]).map(csvLine).join(''));
      rows += r.body.rows.length;
      peak = Math.max(peak, process.memoryUsage().rss);
      if (r.body.done) break;
      after = r.body.last_id;
    }
    await new Promise((resolve) => out.end(resolve));
    const seconds = (Date.now() - t0) / 1000;
    const size = fs.statSync(file).size;
    console.log(`ledger export: ${rows} rows, ${(size / 1e6).toFixed(0)} MB CSV in ${seconds.toFixed(1)} s; client peak RSS ${(peak / 1e6).toFixed(0)} MB (${((peak - base) / 1e6).toFixed(0)} MB above the start)`);
    fs.rmSync(file);
    expect(rows).toBe(N);
    expect(peak - base).toBeLessThan(200e6);
  }, 600000);
});

// SPEC §7 random return (groups of N consecutive joins, exactly `points count` converted per
// group, store / cashier overrides) and SPEC §8 clearing (schedules in Asia/Shanghai,
// idempotent per scheduled instant, every waiting entry cleared and recorded).
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import {
  buy, callNum, createMembers, createOrder, createProduct, createStore, enableRebate, entries, expectHealthy, pay, wallet,
} from '../helpers/engine';
import { bulkOrders, clearQueues, lineTerms, myEntries, setPlugin, setRule } from '../helpers/rules';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await expectHealthy(db); await db.close(); });

async function groups(queueId?: number) {
  const { rows } = await db.admin.query(`
    select g.queue_id::int, g.group_no, g.group_size, g.points_count, g.joined, g.converted, g.end_reason,
           (select array_agg(r.position order by r.position) from rebate.random_returns r
             where r.queue_id = g.queue_id and r.group_no = g.group_no) as positions
      from rebate.random_return_groups g where $1::bigint is null or g.queue_id = $1 order by g.queue_id, g.group_no`, [queueId ?? null]);
  return rows;
}

describe('random return (随机返)', () => {
  test('exact per group over 2000 joins: every full group converts exactly `points count` entries, positions spread', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 1000 });
    await setPlugin(db, { random_return_enabled: true, random_cash_count: 2, random_points_count: 3, points_exchange_bps: 5000 });
    const p = await createProduct(db, { priceFen: 1000 });
    const ms = await createMembers(db, 10);
    await bulkOrders(db, ms, { channel: 'mall', lines: [{ product_id: p, quantity: 1 }] }, 2000);
    const gs = await groups();
    expect(gs).toHaveLength(400);
    expect(gs.every((g) => g.group_size === 5 && g.points_count === 3 && g.joined === 5 && g.converted === 3
      && g.end_reason === 'full' && g.positions.length === 3)).toBe(true);
    // every position is converted in about 3/5 of the groups (sd ≈ 10 of 400)
    for (let pos = 1; pos <= 5; pos++) {
      const n = gs.filter((g) => g.positions.includes(pos)).length;
      expect(Math.abs(n - 240)).toBeLessThan(60);
    }
    // the patterns are not all the same: 10 possible choices of 3 positions of 5, each about 40 times
    const patterns = new Map<string, number>();
    for (const g of gs) patterns.set(g.positions.join(','), (patterns.get(g.positions.join(',')) ?? 0) + 1);
    expect(patterns.size).toBe(10);
    const { rows: [t] } = await db.admin.query(`
      select count(*) filter (where status = 'completed' and closed_fen > 0)::int as converted,
             (select sum(points) from rebate.random_returns)::int as points,
             (select sum(points) from rebate.wallets)::int as wallet_points
        from rebate.entries`);
    expect(t.converted).toBe(1200);
    expect(t.points).toBe(1200 * 500);                         // 10.00 × 50% each
    expect(t.wallet_points).toBe(t.points);
  }, 60_000);

  test('a converted entry is completed at once with its points, never waits, and is not paid by later orders', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 1000 });
    await setPlugin(db, { random_return_enabled: true, random_cash_count: 0, random_points_count: 1 });   // every join converts
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b] = await createMembers(db, 2);
    const o = await buy(db, a, p);
    const t = await lineTerms(db, o.order_no);
    const [e] = await myEntries(db, a);
    expect(e).toMatchObject({ status: 'completed', status_label: '已完成', received_fen: 0, closed_fen: 10000, remaining_fen: 0,
      can_exchange: false, can_draw: false, converted_asset: 'points', converted_amount: 10000 });
    expect((await wallet(db, a)).points).toBe(10000);
    const { rows: msgs } = await db.admin.query(`select kind from rebate.messages where member_id = $1 order by id`, [a]);
    expect(msgs.map((m) => m.kind)).toEqual(['entry_joined', 'entry_random_points']);
    await setPlugin(db, { random_return_enabled: false });
    await buy(db, b, p);
    expect((await entries(db)).find((x) => x.id === t.entry_id)!.received_fen).toBe(0);
    const { rows: ret } = await db.admin.query(`select reason, amount_fen::int from rebate.retentions`);
    expect(ret).toEqual([{ reason: 'no_waiting_entry', amount_fen: 1000 }, { reason: 'no_waiting_entry', amount_fen: 1000 }]);
  });

  test('store and cashier settings override the plugin for their own queues; shared queues use the plugin', async () => {
    await enableRebate(db, { all_stores_queue: false, all_cashiers_queue: false });
    await setPlugin(db, { random_return_enabled: false });
    const { storeId, cashierId } = await createStore(db);
    const sp = await createProduct(db, { storeId, priceFen: 1000 });
    await setRule(db, 'store', storeId, { random_return: 'on', random_cash_count: 1, random_points_count: 1 });
    await setRule(db, 'cashier', cashierId as number, { random_return: 'off' });
    const ms = await createMembers(db, 4);
    await bulkOrders(db, ms, { channel: 'store', lines: [{ product_id: sp, quantity: 1 }] }, 40);
    await setPlugin(db, { random_return_enabled: true, random_cash_count: 0, random_points_count: 1 });
    await bulkOrders(db, ms, { channel: 'cashier', store_id: storeId, amount_fen: 1000 }, 10);
    const { rows: q } = await db.admin.query(`select id::int, scope from rebate.queues where store_id = $1 or cashier_id = $2`, [storeId, cashierId]);
    const storeQ = q.find((x) => x.scope === 'store').id;
    const gs = await groups();
    expect(gs.every((g) => g.queue_id === storeQ && g.group_size === 2 && g.converted === 1)).toBe(true);
    expect(gs).toHaveLength(20);
    const cashierStatuses = async () => (await db.admin.query(`
      select e.status from rebate.entries e join rebate.queues q on q.id = e.queue_id where q.cashier_id = $1 order by e.seq`, [cashierId])).rows.map((r) => r.status);
    expect(await cashierStatuses()).toEqual(Array(10).fill('waiting'));     // 10 × 1.00 extraction: no one paid in full yet
    // the cashier override 'off' wins over the plugin's 'on'; back to 'inherit' the plugin applies
    await setRule(db, 'cashier', cashierId as number, { random_return: 'inherit' });
    await bulkOrders(db, ms, { channel: 'cashier', store_id: storeId, amount_fen: 1000 }, 3);
    expect((await cashierStatuses()).slice(-3)).toEqual(['completed', 'completed', 'completed']);
    const { rows: [conv] } = await db.admin.query(`
      select count(*)::int as n from rebate.random_returns r join rebate.queues q on q.id = r.queue_id where q.cashier_id = $1`, [cashierId]);
    expect(conv.n).toBe(3);
  });

  test('a group whose setting changes is abandoned and a new group starts; while off, joins do not advance a group', async () => {
    await enableRebate(db, { merchant_queue: true });
    await setPlugin(db, { random_return_enabled: true, random_cash_count: 3, random_points_count: 1 });
    const p = await createProduct(db, { priceFen: 1000 });
    const ms = await createMembers(db, 2);
    await bulkOrders(db, ms, { channel: 'mall', lines: [{ product_id: p, quantity: 1 }] }, 2);
    await setPlugin(db, { random_return_enabled: false });
    await bulkOrders(db, ms, { channel: 'mall', lines: [{ product_id: p, quantity: 1 }] }, 5);
    let gs = await groups();
    expect(gs.map((g) => [g.group_no, g.joined, g.end_reason])).toEqual([[1, 2, null]]);
    await setPlugin(db, { random_return_enabled: true, random_cash_count: 1, random_points_count: 1 });
    await bulkOrders(db, ms, { channel: 'mall', lines: [{ product_id: p, quantity: 1 }] }, 4);
    gs = await groups();
    expect(gs.map((g) => [g.group_no, g.group_size, g.joined, g.end_reason, g.converted === g.positions?.length || g.converted === 0]))
      .toEqual([[1, 4, 2, 'abandoned', true], [2, 2, 2, 'full', true], [3, 2, 2, 'full', true]]);
    expect(gs.slice(1).every((g) => g.converted === 1)).toBe(true);
  });
});

describe('clearing (清零)', () => {
  async function due(patch: Record<string, unknown>, at: string): Promise<string | null> {
    await setPlugin(db, patch);
    const { rows } = await db.admin.query(`
      select to_char(rebate.clearing_due_at(s, $1::timestamptz) at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS') as d
        from rebate.settings s where s.id = 1`, [at]);
    return rows[0].d;
  }

  test('schedule instants in Shanghai time: daily, weekly, monthly (clamped to month end), once', async () => {
    await enableRebate(db);
    const daily = { clearing_schedule: 'daily', clearing_time: '00:00' };
    expect(await due(daily, '2030-01-01T23:59:59.999+08:00')).toBe('2030-01-01 00:00:00');
    expect(await due(daily, '2030-01-01T16:00:00Z')).toBe('2030-01-02 00:00:00');     // midnight in Shanghai
    expect(await due(daily, '2030-01-01T15:59:59Z')).toBe('2030-01-01 00:00:00');
    expect(await due({ clearing_time: '03:30' }, '2030-01-02T03:29:59+08:00')).toBe('2030-01-01 03:30:00');
    expect(await due({ clearing_time: '03:30' }, '2030-01-02T03:30:00+08:00')).toBe('2030-01-02 03:30:00');
    // weekly: 2030-01-07 is a Monday
    const weekly = { clearing_schedule: 'weekly', clearing_weekday: 1, clearing_time: '00:00' };
    expect(await due(weekly, '2030-01-06T23:59:59+08:00')).toBe('2029-12-31 00:00:00');
    expect(await due(weekly, '2030-01-07T00:00:00+08:00')).toBe('2030-01-07 00:00:00');
    expect(await due({ clearing_weekday: 7 }, '2030-01-07T00:00:00+08:00')).toBe('2030-01-06 00:00:00');
    // monthly on the 31st: clamped to the last day of shorter months
    const monthly = { clearing_schedule: 'monthly', clearing_monthday: 31, clearing_time: '12:00' };
    expect(await due(monthly, '2030-03-01T00:00:00+08:00')).toBe('2030-02-28 12:00:00');
    expect(await due(monthly, '2032-03-01T00:00:00+08:00')).toBe('2032-02-29 12:00:00');
    expect(await due(monthly, '2030-03-31T11:59:59+08:00')).toBe('2030-02-28 12:00:00');
    expect(await due(monthly, '2030-03-31T12:00:00+08:00')).toBe('2030-03-31 12:00:00');
    expect(await due({ clearing_monthday: 1, clearing_time: '00:00' }, '2030-01-01T00:00:00+08:00')).toBe('2030-01-01 00:00:00');
    const once = { clearing_schedule: 'once', clearing_at: '2030-05-01T08:00:00+08:00' };
    expect(await due(once, '2030-05-01T07:59:59+08:00')).toBe(null);
    expect(await due(once, '2030-05-01T08:00:00+08:00')).toBe('2030-05-01 08:00:00');
  });

  test('idempotent per scheduled instant; clears only what waited at that instant; each forfeit recorded; across midnight', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 1000 });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b, c] = await createMembers(db, 3);
    const oa = await buy(db, a, p);
    await buy(db, b, p);                                      // a received 10.00
    expect(await clearQueues(db, '2030-01-01T00:00:00+08:00')).toMatchObject({ ran: false, reason: 'clearing_off' });
    await setPlugin(db, { clearing_enabled: true, clearing_schedule: 'daily', clearing_time: '00:00' });
    // the schedule counts from when it was configured: instants before it are not due
    expect(await clearQueues(db, '2000-01-01T12:00:00+08:00')).toMatchObject({ ran: false, reason: 'not_due' });
    await setPlugin(db, { clearing_since: '2000-01-01T00:00:00Z' });
    // entries made "now" are dated before 2030: move b's entry after the first instant
    const eb = (await entries(db)).find((e) => e.member_id === b)!;
    await db.admin.query(`update rebate.entries set created_at = '2030-01-01T12:00:00+08:00' where id = $1`, [eb.id]);

    const r1 = await clearQueues(db, '2030-01-01T23:59:59+08:00');
    expect(r1).toMatchObject({ ran: true, cleared_count: 1, forfeited_fen: 9000, queue_count: 1 });
    expect(new Date(r1.due_at).toISOString()).toBe('2029-12-31T16:00:00.000Z');
    expect(await clearQueues(db, '2030-01-01T00:00:00+08:00')).toMatchObject({ ran: false, replayed: true, run_id: r1.run_id, forfeited_fen: 9000 });
    expect(await clearQueues(db, '2030-01-01T23:59:59.999+08:00')).toMatchObject({ ran: false, replayed: true });
    let es = await entries(db);
    expect(es.map((e) => [e.member_id, e.status, e.received_fen, e.closed_fen])).toEqual([[a, 'cleared', 1000, 9000], [b, 'waiting', 0, 0]]);
    const [row] = await myEntries(db, a);
    expect(row).toMatchObject({ status: 'cleared', status_label: '已清零', closed_fen: 9000, remaining_fen: 0, can_exchange: false });

    // the next Shanghai midnight is a new instant: b's entry is cleared then
    const r2 = await clearQueues(db, '2030-01-01T16:00:00Z');
    expect(r2).toMatchObject({ ran: true, cleared_count: 1, forfeited_fen: 10000 });
    const { rows: items } = await db.admin.query(`
      select i.member_id, i.forfeited_fen::int, r.schedule from rebate.clearing_items i join rebate.clearing_runs r on r.id = i.run_id order by i.run_id`);
    expect(items).toEqual([{ member_id: a, forfeited_fen: 9000, schedule: 'daily' }, { member_id: b, forfeited_fen: 10000, schedule: 'daily' }]);
    const { rows: msgs } = await db.admin.query(`select member_id, kind from rebate.messages where kind = 'entry_cleared' order by id`);
    expect(msgs).toEqual([{ member_id: a, kind: 'entry_cleared' }, { member_id: b, kind: 'entry_cleared' }]);

    // cleared entries are never paid: the next order's extraction finds no one and is retained
    await buy(db, c, p);
    es = await entries(db);
    expect(es.slice(0, 2).map((e) => e.received_fen)).toEqual([1000, 0]);
    const { rows: ret } = await db.admin.query(`select count(*)::int as n from rebate.retentions where reason = 'no_waiting_entry'`);
    expect(ret[0].n).toBe(2);
    expect(oa.order_no).toBeTruthy();
  });

  test('concurrent runs for the same instant clear once; only service_role may run it', async () => {
    await enableRebate(db, { merchant_queue: true });
    await setPlugin(db, { clearing_enabled: true, clearing_since: '2000-01-01T00:00:00Z' });
    const p = await createProduct(db, { priceFen: 10000 });
    const ms = await createMembers(db, 3);
    for (const m of ms) await buy(db, m, p);
    const rs = await Promise.all([1, 2, 3, 4].map(() => clearQueues(db, '2031-06-01T10:00:00+08:00')));
    expect(rs.filter((r) => r.ran)).toHaveLength(1);
    expect(rs.filter((r) => r.replayed)).toHaveLength(3);
    await expect(db.call('authenticated', ms[0], `select public.clear_queues(now())`)).rejects.toMatchObject({ code: '42501' });
    await expect(db.call('anon', null, `select public.clear_queues(now())`)).rejects.toMatchObject({ code: '42501' });
    await expectDbError(callNum(db, 'service_role', null, `select public.clear_queues(null)`), 'invalid_instant');
    // what the production cron job and the local timer call
    const [{ r }] = await callNum(db, 'service_role', null, `select public.clear_queues(now()) as r`);
    expect(r).toMatchObject({ ran: true });
  });

  test('a store queue and a cashier queue are cleared too; a paid-in-full entry is untouched', async () => {
    await enableRebate(db, { extraction_bps: 10000 });
    await setPlugin(db, { clearing_enabled: true, clearing_since: '2000-01-01T00:00:00Z', clearing_schedule: 'weekly' });
    const { storeId } = await createStore(db);
    const [a, b] = await createMembers(db, 2);
    const c1 = await createOrder(db, a, { channel: 'cashier', store_id: storeId, amount_fen: 10000 });
    await pay(db, c1);
    const c2 = await createOrder(db, b, { channel: 'cashier', store_id: storeId, amount_fen: 10000 });
    await pay(db, c2);                                               // pays a in full
    const sp = await createProduct(db, { storeId, priceFen: 500 });
    await pay(db, await createOrder(db, a, { channel: 'store', lines: [{ product_id: sp, quantity: 1 }] }));
    const r = await clearQueues(db, '2031-06-01T10:00:00+08:00');
    expect(r).toMatchObject({ ran: true, cleared_count: 2, queue_count: 2, forfeited_fen: 10500 });
    expect((await entries(db)).map((e) => e.status).sort()).toEqual(['cleared', 'cleared', 'completed']);
  });
});

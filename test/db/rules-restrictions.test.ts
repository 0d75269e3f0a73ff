// Restrictions of the independent settings (SPEC §5 独立设置): reward time windows in
// Asia/Shanghai and per-member limits per product / store / cashier, at their edges. Outside a
// window or past a limit a line earns nothing but still joins and extracts.
import { createTestDb, TestDb } from '../helpers/db';
import {
  createMembers, createOrder, createProduct, createStore, enableRebate, entries, expectHealthy, mallOrder, pay,
} from '../helpers/engine';
import { createAdmin, lineTerms, setRule } from '../helpers/rules';
import { callNum } from '../helpers/engine';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await expectHealthy(db); await db.close(); });

async function inWindow(windows: unknown, at: string): Promise<boolean> {
  const { rows } = await db.admin.query(`select rebate.in_reward_window($1::jsonb, $2::timestamptz) as ok`, [JSON.stringify(windows), at]);
  return rows[0].ok;
}

describe('reward time windows (Asia/Shanghai)', () => {
  test('daily window: start inclusive, end exclusive, in Shanghai wall-clock time', async () => {
    const w = [{ start: '09:00', end: '12:00' }];
    expect(await inWindow(w, '2030-03-01T08:59:59.999+08:00')).toBe(false);
    expect(await inWindow(w, '2030-03-01T09:00:00+08:00')).toBe(true);
    expect(await inWindow(w, '2030-03-01T01:00:00Z')).toBe(true);          // 09:00 in Shanghai
    expect(await inWindow(w, '2030-03-01T11:59:59.999+08:00')).toBe(true);
    expect(await inWindow(w, '2030-03-01T12:00:00+08:00')).toBe(false);
    expect(await inWindow(w, '2030-03-01T09:30:00Z')).toBe(false);         // 17:30 in Shanghai
  });

  test('a window across midnight, end 24:00, several windows, absolute periods, none', async () => {
    const night = [{ start: '22:00', end: '02:00' }];
    expect(await inWindow(night, '2030-03-01T21:59:59+08:00')).toBe(false);
    expect(await inWindow(night, '2030-03-01T22:00:00+08:00')).toBe(true);
    expect(await inWindow(night, '2030-03-02T00:00:00+08:00')).toBe(true);
    expect(await inWindow(night, '2030-03-02T01:59:59.999+08:00')).toBe(true);
    expect(await inWindow(night, '2030-03-02T02:00:00+08:00')).toBe(false);
    const evening = [{ start: '18:00', end: '24:00' }, { start: '06:00', end: '07:00' }];
    expect(await inWindow(evening, '2030-03-01T23:59:59.999+08:00')).toBe(true);
    expect(await inWindow(evening, '2030-03-02T00:00:00+08:00')).toBe(false);
    expect(await inWindow(evening, '2030-03-02T06:30:00+08:00')).toBe(true);
    const period = [{ from: '2030-11-11T00:00:00+08:00', to: '2030-11-12T00:00:00+08:00' }];
    expect(await inWindow(period, '2030-11-10T23:59:59.999+08:00')).toBe(false);
    expect(await inWindow(period, '2030-11-11T00:00:00+08:00')).toBe(true);
    expect(await inWindow(period, '2030-11-11T15:59:59Z')).toBe(true);
    expect(await inWindow(period, '2030-11-11T16:00:00Z')).toBe(false);    // 11-12 00:00 in Shanghai
    expect(await inWindow([], '2030-11-11T16:00:00Z')).toBe(true);
  });

  test('outside a window the line joins and extracts but earns no entry; inside it earns', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 1000 });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b, c] = await createMembers(db, 3);
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const o1 = await createOrder(db, a, mallOrder([[p, 1]]));
    await pay(db, o1);
    await setRule(db, 'product', p, { reward_windows: [{ from: iso(now + 3600e3), to: iso(now + 7200e3) }] });
    const o2 = await createOrder(db, b, mallOrder([[p, 1]]));
    await pay(db, o2);
    expect(await lineTerms(db, o2.order_no)).toMatchObject({ why: 'outside_reward_window', ent: 0, ext: 1000, entry_id: null });
    expect((await entries(db)).map((e) => [e.member_id, e.received_fen])).toEqual([[a, 1000]]);   // b's order still paid a
    await setRule(db, 'product', p, { reward_windows: [{ from: iso(now - 3600e3), to: iso(now + 3600e3) }, { start: '00:00', end: '00:01' }] });
    const o3 = await createOrder(db, c, mallOrder([[p, 1]]));
    await pay(db, o3);
    expect(await lineTerms(db, o3.order_no)).toMatchObject({ why: null, ent: 10000 });
  });

  test('store online lines obey the product and the store windows; cashier payments the cashier window', async () => {
    await enableRebate(db);
    const { storeId, cashierId } = await createStore(db);
    const p = await createProduct(db, { storeId, priceFen: 10000 });
    const [a] = await createMembers(db, 1);
    const past = [{ from: '2000-01-01T00:00:00+08:00', to: '2000-01-02T00:00:00+08:00' }];
    const storeOrder = async () => { const o = await createOrder(db, a, { channel: 'store', lines: [{ product_id: p, quantity: 1 }] }); await pay(db, o); return lineTerms(db, o.order_no); };
    const cashierOrder = async () => { const o = await createOrder(db, a, { channel: 'cashier', store_id: storeId, amount_fen: 10000 }); await pay(db, o); return lineTerms(db, o.order_no); };
    await setRule(db, 'store', storeId, { reward_windows: past });
    expect((await storeOrder()).why).toBe('outside_reward_window');
    expect((await cashierOrder()).why).toBe(null);                      // the store's window is not the cashier's
    await setRule(db, 'store', storeId, { reward_windows: [] });
    await setRule(db, 'product', p, { reward_windows: past });
    expect((await storeOrder()).why).toBe('outside_reward_window');
    await setRule(db, 'product', p, { reward_windows: [] });
    expect((await storeOrder()).why).toBe(null);
    await setRule(db, 'cashier', cashierId as number, { reward_windows: past });
    expect((await cashierOrder()).why).toBe('outside_reward_window');
  });
});

describe('limits per member', () => {
  test('product daily limit: the (limit + 1)-th entitlement of the day is refused, still extracts; other members unaffected', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 1000 });
    const p = await createProduct(db, { priceFen: 10000 });
    await setRule(db, 'product', p, { daily_limit: 2 });
    const [a, b] = await createMembers(db, 2);
    const why = async (m: string, lines: Array<[number, number]>) => {
      const o = await createOrder(db, m, mallOrder(lines));
      await pay(db, o);
      const out: Array<string | null> = [];
      for (let i = 1; i <= lines.length; i++) out.push((await lineTerms(db, o.order_no, i)).why);
      return out;
    };
    expect(await why(a, [[p, 1]])).toEqual([null]);
    expect(await why(a, [[p, 1], [p, 2]])).toEqual([null, 'limit_reached']);   // lines of one order count one by one
    expect(await why(a, [[p, 1]])).toEqual(['limit_reached']);
    expect(await why(b, [[p, 1]])).toEqual([null]);
    const ext = await db.admin.query(`select count(*)::int as n from rebate.order_lines where extraction_fen > 0 and settled_at is not null`);
    expect(ext.rows[0].n).toBe(5);
    // a new Shanghai day: the day's count starts again (yesterday's entries and count moved back a day)
    await db.admin.query(`update rebate.entries set created_at = created_at - interval '1 day'`);
    await db.admin.query(`update rebate.member_target_counts set day = day - 1`);
    expect(await why(a, [[p, 1]])).toEqual([null]);
  });

  test('total limit, limit 0, and a limit set after the fact counts the history', async () => {
    await enableRebate(db, { merchant_queue: true });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b] = await createMembers(db, 2);
    const admin = await createAdmin(db);
    const buyWhy = async (m: string) => { const o = await createOrder(db, m, mallOrder([[p, 1]])); await pay(db, o); return (await lineTerms(db, o.order_no)).why; };
    expect(await buyWhy(a)).toBe(null);
    expect(await buyWhy(a)).toBe(null);
    await callNum(db, 'authenticated', admin, `select public.admin_update_rule_settings('product', $1, '{"total_limit": 3}')`, [p]);
    const { rows } = await db.admin.query(`select member_id, day_count, total_count from rebate.member_target_counts`);
    expect(rows).toEqual([{ member_id: a, day_count: 2, total_count: 2 }]);
    expect(await buyWhy(a)).toBe(null);
    expect(await buyWhy(a)).toBe('limit_reached');
    expect(await buyWhy(b)).toBe(null);
    await callNum(db, 'authenticated', admin, `select public.admin_update_rule_settings('product', $1, '{"total_limit": 0}')`, [p]);
    expect(await buyWhy(b)).toBe('limit_reached');
    await callNum(db, 'authenticated', admin, `select public.admin_update_rule_settings('product', $1, '{"total_limit": null}')`, [p]);
    expect(await buyWhy(b)).toBe(null);
    expect((await db.admin.query(`select count(*)::int as n from rebate.member_target_counts`)).rows[0].n).toBe(0);
  });

  test('store limits apply to store online lines, cashier limits to cashier payments', async () => {
    await enableRebate(db);
    const { storeId, cashierId } = await createStore(db);
    const p1 = await createProduct(db, { storeId, priceFen: 10000 });
    const p2 = await createProduct(db, { storeId, priceFen: 10000 });
    await setRule(db, 'store', storeId, { daily_limit: 1 });
    await setRule(db, 'cashier', cashierId as number, { total_limit: 1 });
    const [a] = await createMembers(db, 1);
    const store = async (p: number) => { const o = await createOrder(db, a, { channel: 'store', lines: [{ product_id: p, quantity: 1 }] }); await pay(db, o); return (await lineTerms(db, o.order_no)).why; };
    const cashier = async () => { const o = await createOrder(db, a, { channel: 'cashier', store_id: storeId, amount_fen: 10000 }); await pay(db, o); return (await lineTerms(db, o.order_no)).why; };
    expect(await store(p1)).toBe(null);
    expect(await store(p2)).toBe('limit_reached');      // the store's limit covers all its products
    expect(await cashier()).toBe(null);
    expect(await cashier()).toBe('limit_reached');
  });

  test('concurrent payments of one member cannot both take the last place', async () => {
    await enableRebate(db);
    const p = await createProduct(db, { priceFen: 10000 });
    await setRule(db, 'product', p, { total_limit: 1 });
    const [a] = await createMembers(db, 1);
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await createOrder(db, a, mallOrder([[p, 1]])));
    await Promise.all(orders.map((o) => pay(db, o)));
    const whys = await Promise.all(orders.map(async (o) => (await lineTerms(db, o.order_no)).why));
    expect(whys.filter((w) => w === null)).toHaveLength(1);
    expect(whys.filter((w) => w === 'limit_reached')).toHaveLength(5);
  });
});

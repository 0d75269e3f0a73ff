// SPEC §6 lottery: one draw per eligible entry, the entitlement recomputed under the queue's
// lock, the draw stored; every refusal; the distribution of fixed weights and interval bounds
// over many draws of the server-side picker.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import {
  buy, callNum, createMembers, createOrder, createProduct, createStore, enableRebate, entries, expectHealthy, pay,
} from '../helpers/engine';
import { clearQueues, draw, exchange, lineTerms, myEntries, setPlugin, setRule } from '../helpers/rules';

let db: TestDb;
afterAll(async () => { await db?.close(); });

const FIXED = { lottery_mode: 'fixed', lottery_options: [{ bps: 1000, weight: 1 }, { bps: 2000, weight: 1 }, { bps: 5000, weight: 1 }] };

describe('drawing', () => {
  let p: number;
  let m: string[];
  beforeAll(async () => {
    db = await createTestDb();
    await enableRebate(db, { merchant_queue: false, default_reward_bps: 10000, extraction_bps: 1000 });
    p = await createProduct(db, { priceFen: 12345 });
    m = await createMembers(db, 6);
  });
  afterEach(async () => { await expectHealthy(db); });

  test('a lottery entry may draw once: the drawn ratio replaces its ratio, entitlement and the queue total are recomputed', async () => {
    await setPlugin(db, FIXED);
    const o = await buy(db, m[0], p);
    const t = await lineTerms(db, o.order_no);
    expect(t).toMatchObject({ rule: 'plugin_lottery', label: '抽奖', reward_bps: 10000, ent: 12345 });
    const [mine] = await myEntries(db, m[0]);
    expect(mine).toMatchObject({ can_draw: true, drawn_bps: null, can_exchange: true,
      lottery_config: { mode: 'fixed', options: FIXED.lottery_options } });
    const queueTotal = `select q.total_entitlement_fen::int as t from rebate.queues q join rebate.entries e on e.queue_id = q.id where e.id = $1`;
    const { rows: [q0] } = await db.admin.query(queueTotal, [t.entry_id]);

    const r = await draw(db, m[0], t.entry_id);
    expect([1000, 2000, 5000]).toContain(r.drawn_bps);
    const ent = Math.floor((12345 * r.drawn_bps + 5000) / 10000);
    expect(r).toMatchObject({ entry_id: t.entry_id, mode: 'fixed', previous_bps: 10000, previous_entitlement_fen: 12345,
      entitlement_fen: ent, remaining_fen: ent, rule_label: '抽奖', config: { mode: 'fixed', options: FIXED.lottery_options } });
    expect(await lineTerms(db, o.order_no)).toMatchObject({ reward_bps: r.drawn_bps, ent, rule: 'plugin_lottery' });
    const { rows: [q1] } = await db.admin.query(queueTotal, [t.entry_id]);
    expect(q1.t - q0.t).toBe(ent - 12345);
    const [after] = await myEntries(db, m[0]);
    expect(after).toMatchObject({ can_draw: false, drawn_bps: r.drawn_bps, entitlement_fen: ent, reward_bps: r.drawn_bps });
    const { rows: msgs } = await db.admin.query(`select kind, body from rebate.messages where member_id = $1 and kind = 'lottery_drawn'`, [m[0]]);
    expect(msgs).toHaveLength(1);
    expect(msgs[0].body).toContain('抽中奖励比例');
    const { rows: draws } = await db.admin.query(`select mode, drawn_bps, previous_bps, config, drawn_at from rebate.lottery_draws where entry_id = $1`, [t.entry_id]);
    expect(draws).toEqual([expect.objectContaining({ mode: 'fixed', drawn_bps: r.drawn_bps, previous_bps: 10000 })]);

    await expectDbError(draw(db, m[0], t.entry_id), 'lottery_already_drawn');
    // the later order pays the drawn entitlement, not the old one
    await buy(db, m[1], p);
    const es = await entries(db);
    expect(es.find((e) => e.id === t.entry_id)!.received_fen).toBe(Math.min(ent, 1235));
  });

  test('refusals: another member, a non-lottery entry, an entry that received money, completed, exchanged, cleared, lottery switched off', async () => {
    const q = await createProduct(db, { priceFen: 12345 });                 // its own queue
    await setPlugin(db, { lottery_mode: 'off' });
    const plain = (await lineTerms(db, (await buy(db, m[2], q)).order_no)).entry_id;
    await expectDbError(draw(db, m[2], plain), 'lottery_not_available');
    expect((await myEntries(db, m[2]))[0].can_draw).toBe(false);

    // a lottery entry starts at the fallback ratio (here the plugin default, 30%): 37.04
    await setPlugin(db, { lottery_mode: 'interval', lottery_min_bps: 3000, lottery_max_bps: 3000, default_reward_bps: 3000 });
    const a = (await lineTerms(db, (await buy(db, m[3], q)).order_no)).entry_id;
    await expectDbError(draw(db, m[4], a), 'entry_not_found');             // someone else's entry
    // orders of 123.45 extract 12.35 each: the plain entry (123.45) first, then a (37.04), then e1
    const e1 = (await lineTerms(db, (await buy(db, m[4], q)).order_no)).entry_id;
    for (let i = 0; i < 12; i++) await buy(db, m[4], q);
    const { rows } = await db.admin.query(`select id::int, status, received_fen::int from rebate.entries where id = any($1) order by id`, [[plain, a, e1]]);
    expect(rows.map((r) => r.status)).toEqual(['completed', 'completed', 'waiting']);
    expect(rows[2].received_fen).toBeGreaterThan(0);
    await expectDbError(draw(db, m[3], a), 'entry_not_waiting');             // completed
    expect((await myEntries(db, m[4])).find((e) => e.entry_id === e1)!.can_draw).toBe(false);
    await expectDbError(draw(db, m[4], e1), 'entry_already_received');

    // entries at another queue's tail (nothing received yet) in other states
    const r = await createProduct(db, { priceFen: 10000 });
    const b = (await lineTerms(db, (await buy(db, m[5], r)).order_no)).entry_id;
    await exchange(db, m[5], b, 'points');
    await expectDbError(draw(db, m[5], b), 'entry_not_waiting');
    const c = (await lineTerms(db, (await buy(db, m[5], r)).order_no)).entry_id;
    expect((await myEntries(db, m[5])).find((e) => e.entry_id === c)).toMatchObject({ can_draw: true });
    await setPlugin(db, { lottery_mode: 'off' });
    expect((await myEntries(db, m[5])).find((e) => e.entry_id === c)).toMatchObject({ can_draw: false, lottery_config: null });
    await expectDbError(draw(db, m[5], c), 'lottery_off');
    await setPlugin(db, { lottery_mode: 'interval' });
    await setPlugin(db, { clearing_enabled: true, clearing_since: '2000-01-01T00:00:00Z' });
    await clearQueues(db, '2099-01-01T12:00:00+08:00');
    await expectDbError(draw(db, m[5], c), 'entry_not_waiting');
    await setPlugin(db, { clearing_enabled: false, lottery_mode: 'off', default_reward_bps: 10000 });
    await expectDbError(draw(db, m[0], 999999), 'entry_not_found');
  });

  test('product, store and cashier lotteries draw from their own configuration', async () => {
    await setPlugin(db, { lottery_mode: 'fixed', lottery_options: [{ bps: 9999, weight: 1 }] });
    const q = await createProduct(db, { priceFen: 10000 });
    await setRule(db, 'product', q, { lottery_mode: 'interval', lottery_min_bps: 1234, lottery_max_bps: 1234 });
    const { storeId, cashierId } = await createStore(db);
    const sp = await createProduct(db, { storeId, priceFen: 10000 });
    await setRule(db, 'store', storeId, { lottery_mode: 'fixed', lottery_options: [{ bps: 4321, weight: 5 }] });
    await setRule(db, 'cashier', cashierId as number, { lottery_mode: 'interval', lottery_min_bps: 777, lottery_max_bps: 777 });
    const e1 = (await lineTerms(db, (await buy(db, m[1], q)).order_no)).entry_id;
    const so = await createOrder(db, m[1], { channel: 'store', lines: [{ product_id: sp, quantity: 1 }] });
    await pay(db, so);
    const co = await createOrder(db, m[1], { channel: 'cashier', store_id: storeId, amount_fen: 10000 });
    await pay(db, co);
    expect((await draw(db, m[1], e1))).toMatchObject({ mode: 'interval', drawn_bps: 1234, entitlement_fen: 1234, rule_code: 'product_lottery' });
    expect((await draw(db, m[1], (await lineTerms(db, so.order_no)).entry_id))).toMatchObject({ mode: 'fixed', drawn_bps: 4321, rule_code: 'store_lottery' });
    expect((await draw(db, m[1], (await lineTerms(db, co.order_no)).entry_id))).toMatchObject({ drawn_bps: 777, entitlement_fen: 777, rule_code: 'cashier_lottery' });
    await setPlugin(db, { lottery_mode: 'off' });
  });

  test('many members drawing: every result within the configuration, each entry once', async () => {
    await setPlugin(db, FIXED);
    const q = await createProduct(db, { priceFen: 10000, extractionBps: 0 });    // nobody receives before drawing
    const ids: number[] = [];
    for (let i = 0; i < 12; i++) ids.push((await lineTerms(db, (await buy(db, m[i % m.length], q)).order_no)).entry_id);
    const results = await Promise.all(ids.map(async (id, i) => draw(db, m[i % m.length], id)));
    for (const r of results) expect([1000, 2000, 5000]).toContain(r.drawn_bps);
    const again = await Promise.allSettled(ids.map((id, i) => draw(db, m[i % m.length], id)));
    expect(again.every((x) => x.status === 'rejected' && (x.reason as Error).message === 'lottery_already_drawn')).toBe(true);
    await setPlugin(db, { lottery_mode: 'off' });
  });
});

describe('the picker: cryptographic randomness, weights and bounds', () => {
  beforeAll(async () => { if (!db) db = await createTestDb(); });

  async function picks(config: unknown, n: number): Promise<number[]> {
    const { rows } = await db.admin.query(
      `select (rebate.lottery_pick($1::jsonb)).drawn_bps as b from generate_series(1, $2)`, [JSON.stringify(config), n]);
    return rows.map((r) => r.b);
  }

  test('fixed weights: frequencies match the weights within tolerance over 30000 draws', async () => {
    const n = 30000;
    const got = await picks({ mode: 'fixed', options: [{ bps: 1000, weight: 1 }, { bps: 2000, weight: 2 }, { bps: 5000, weight: 7 }] }, n);
    const freq = (b: number) => got.filter((x) => x === b).length / n;
    // standard deviation of a frequency here is at most sqrt(.25/30000) ≈ 0.003: 0.012 is four of them
    expect(Math.abs(freq(1000) - 0.1)).toBeLessThan(0.012);
    expect(Math.abs(freq(2000) - 0.2)).toBeLessThan(0.012);
    expect(Math.abs(freq(5000) - 0.7)).toBeLessThan(0.012);
    expect(got.every((x) => [1000, 2000, 5000].includes(x))).toBe(true);
  });

  test('interval: uniform at 1 bps granularity, bounds never crossed', async () => {
    const small = await picks({ mode: 'interval', min_bps: 1000, max_bps: 1009 }, 20000);
    expect(Math.min(...small)).toBe(1000);
    expect(Math.max(...small)).toBe(1009);
    const counts = new Map<number, number>();
    for (const x of small) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009]);
    for (const c of counts.values()) expect(Math.abs(c - 2000)).toBeLessThan(250);   // sd ≈ 42
    const wide = await picks({ mode: 'interval', min_bps: 1, max_bps: 100000 }, 20000);
    expect(wide.every((x) => Number.isInteger(x) && x >= 1 && x <= 100000)).toBe(true);
    expect(Math.min(...wide)).toBeLessThan(1000);
    expect(Math.max(...wide)).toBeGreaterThan(99000);
    const one = await picks({ mode: 'interval', min_bps: 4242, max_bps: 4242 }, 100);
    expect(new Set(one)).toEqual(new Set([4242]));
  });

  test('a single fixed option always wins; random_below is exact for every range size', async () => {
    expect(new Set(await picks({ mode: 'fixed', options: [{ bps: 3333, weight: 1000000 }] }, 200))).toEqual(new Set([3333]));
    const rows = await callNum(db, 'service_role', null, `select 1 as n`);
    expect(rows).toEqual([{ n: 1 }]);
    const { rows: r } = await db.admin.query(`
      select n, min(v) as lo, max(v) as hi from (select n, rebate.random_below(n) as v
        from (values (1), (2), (3), (4294967296)) t(n), generate_series(1, 500)) x group by n order by n`);
    expect(r.map((x) => [Number(x.n), Number(x.lo), Number(x.hi) < Number(x.n)])).toEqual([
      [1, 0, true], [2, 0, true], [3, 0, true], [4294967296, expect.any(Number), true],
    ]);
    await expect(db.admin.query(`select rebate.random_below(0)`)).rejects.toMatchObject({ message: 'invalid_random_range' });
  });
});

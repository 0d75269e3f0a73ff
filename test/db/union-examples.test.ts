// SPEC §13, the union queue (工会排队), worked through by hand: the fixed examples of
// docs/union.md, each table there is one test here. Amounts in fen.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createOrder, createProduct, createStore, grantBalance, lineOf, pay, reconcile, refund, wallet } from '../helpers/engine';
import { bind } from '../helpers/referral';
import {
  backdate, closeDay, dayOf, enableUnion, payout, setCommission, setCost, unionEntries, unionLines,
} from '../helpers/union';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

const received = async () => (await unionEntries(db)).map((e) => [e.received_fen, e.status]);

test('Example U1: a day pays three whole quotas and stops at a fourth it cannot cover; the next day pays it', async () => {
  await enableUnion(db);                                     // quota 110%, pool 60%
  const p1 = await createProduct(db, { priceFen: 10000 });   // cost 0: net 100.00, contribution 60.00, quota 110.00
  const p2 = await createProduct(db, { priceFen: 100000 });  // net 1000.00, contribution 600.00, quota 1100.00
  const [a, b, c, d, e, f] = await createMembers(db, 6);
  await buy(db, a, p1); await buy(db, b, p1); await buy(db, c, p1); await buy(db, d, p2); await buy(db, e, p1);
  expect((await unionEntries(db)).map((x) => x.quota_fen)).toEqual([11000, 11000, 11000, 110000, 11000]);
  const day1 = await closeDay(db, -2);
  expect(day1).toMatchObject({ day: await dayOf(db, -2), carry_in_fen: 0, contribution_fen: 84000, acceleration_fen: 0,
    available_fen: 84000, paid_fen: 33000, entries_paid: 3, carry_over_fen: 51000, replayed: false });
  // D (1100.00) cannot be covered by 510.00: the run stops; E (110.00) behind it waits (never out of order)
  expect(await received()).toEqual([[11000, 'completed'], [11000, 'completed'], [11000, 'completed'], [0, 'waiting'], [0, 'waiting']]);
  expect((await wallet(db, a)).cash_fen).toBe(11000);
  // the same day again changes nothing
  expect(await payout(db, -2)).toMatchObject({ day: await dayOf(db, -2), paid_fen: 33000, replayed: true });
  await buy(db, f, p2);                                      // day 2: +600.00
  const day2 = await closeDay(db, -1);
  expect(day2).toMatchObject({ carry_in_fen: 51000, contribution_fen: 60000, available_fen: 111000, paid_fen: 110000,
    entries_paid: 1, carry_over_fen: 1000 });
  expect(await received()).toEqual([[11000, 'completed'], [11000, 'completed'], [11000, 'completed'], [110000, 'completed'],
    [0, 'waiting'], [0, 'waiting']]);
  const { rows } = await db.admin.query(`select title, body from rebate.messages where member_id = $1 and kind = 'union_paid_out'`, [d]);
  expect(rows).toEqual([{ title: '工会分红到账', body: `${await dayOf(db, -1)}分红：排队名额获得¥1100.00，已返满¥1100.00` }]);
});

test('Example U2: acceleration completes the referrer\'s entry, overflows to the next, and what is left stays in the pool', async () => {
  await enableUnion(db, { union_accel_bps: 5000 });
  const p1 = await createProduct(db, { priceFen: 10000 });
  const p3 = await createProduct(db, { priceFen: 30000 });   // contribution 180.00, acceleration min(150.00, 180.00)
  const [r, x] = await createMembers(db, 2);
  await buy(db, r, p1); await buy(db, r, p1);                // R1, R2: 110.00 each
  await bind(db, x, r);
  const o1 = await buy(db, x, p3);
  expect(await received()).toEqual([[11000, 'completed'], [4000, 'waiting'], [0, 'waiting']]);
  expect((await wallet(db, r)).cash_fen).toBe(15000);
  await buy(db, x, p3);                                      // 150.00 more: R2 takes 70.00, 80.00 stays in the pool
  expect(await received()).toEqual([[11000, 'completed'], [11000, 'completed'], [0, 'waiting'], [0, 'waiting']]);
  expect((await unionLines(db)).map((l) => [l.contribution_fen, l.accel_fen])).toEqual([[6000, 0], [6000, 0], [18000, 15000], [18000, 7000]]);
  const { rows } = await db.admin.query(`select body from rebate.messages where member_id = $1 and kind = 'union_accelerated' order by id`, [r]);
  const masked = o1.order_no.slice(0, 4) + '****' + o1.order_no.slice(-4);
  expect(rows.map((m: any) => m.body)).toEqual([
    `好友订单${masked}为您的工会排队名额加速¥110.00，已返满¥110.00`,
    `好友订单${masked}为您的工会排队名额加速¥40.00，累计¥40.00/¥110.00`,
    expect.stringMatching(/加速¥70\.00，已返满¥110\.00$/)]);
  // the member sees the acceleration with the referee order it came from
  const mine = await db.call('authenticated', r, `select entry_id, accelerated_fen, accelerations from public.my_union_entries() order by entry_id`);
  expect(mine[1].accelerations.map((a: any) => [a.order_no, a.amount_fen])).toEqual([[masked, 4000], [expect.any(String), 7000]]);
  // the day: 480.00 contributed, 220.00 accelerated: 260.00 available, X's first 330.00 cannot be covered
  expect(await closeDay(db, -1)).toMatchObject({ contribution_fen: 48000, acceleration_fen: 22000, available_fen: 26000,
    paid_fen: 0, carry_over_fen: 26000 });
});

test('Example U3: a refund before its day\'s payout takes the contribution back; after it, it stays (platform cost)', async () => {
  await enableUnion(db);
  const p1 = await createProduct(db, { priceFen: 10000 });
  const p2 = await createProduct(db, { priceFen: 100000 });
  const [a, b, c] = await createMembers(db, 3);
  const oa = await buy(db, a, p1); const ob = await buy(db, b, p1); const oc = await buy(db, c, p2);
  await backdate(db, -2);
  const rb = await refund(db, ob.order_no, 'R-B');            // before the payout of its day
  expect(rb).toMatchObject({ refund_fen: 10000, clawback_fen: 0, cost_fen: 0 });
  const day1 = await payout(db, -2);
  expect(day1).toMatchObject({ contribution_fen: 72000, takeback_fen: 6000, available_fen: 66000, paid_fen: 11000,
    entries_paid: 1, carry_over_fen: 55000 });
  expect(await received()).toEqual([[11000, 'completed'], [0, 'voided'], [0, 'waiting']]);
  // after the payout: A's contribution stays; A received 110.00 > paid 100.00: nothing refunded, 10.00 shortfall
  const ra = await refund(db, oa.order_no, 'R-A');
  expect(ra).toMatchObject({ refund_fen: 0, clawback_fen: 10000, shortfall_fen: 1000, cost_fen: 6000 });
  const rc = await refund(db, oc.order_no, 'R-C');            // C waiting: voided, its 600.00 stays in the pool
  expect(rc).toMatchObject({ refund_fen: 100000, cost_fen: 60000 });
  expect(await lineOf(db, oc.order_no)).toMatchObject({ refunded: true, cost_fen: 60000 });
  expect(await closeDay(db, -1)).toMatchObject({ carry_in_fen: 55000, contribution_fen: 0, takeback_fen: 0, carry_over_fen: 55000 });
  expect(await received()).toEqual([[11000, 'completed'], [0, 'voided'], [0, 'voided']]);
});

test('Example U4: paused — no acceleration, the payout pays nothing and carries everything; resumed, it pays', async () => {
  await enableUnion(db, { union_accel_bps: 5000, paused: true });
  const p1 = await createProduct(db, { priceFen: 10000 });
  const [a, b] = await createMembers(db, 2);
  await buy(db, a, p1);
  await bind(db, b, a);
  await buy(db, b, p1);                                      // no acceleration while paused
  expect((await unionLines(db)).map((l) => l.accel_fen)).toEqual([0, 0]);
  expect(await closeDay(db, -2)).toMatchObject({ held: true, available_fen: 12000, paid_fen: 0, carry_over_fen: 12000 });
  await db.admin.query(`update rebate.settings set paused = false where id = 1`);
  expect(await closeDay(db, -1)).toMatchObject({ held: false, carry_in_fen: 12000, available_fen: 12000, paid_fen: 11000,
    carry_over_fen: 1000 });
  expect(await received()).toEqual([[11000, 'completed'], [0, 'waiting']]);
});

test('Example U5: the mode switch is refused while entries of the current mode wait', async () => {
  await enableUnion(db);
  const p1 = await createProduct(db, { priceFen: 10000 });
  const [admin, a] = await createMembers(db, 2);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations')`, [admin]);
  await buy(db, a, p1);
  const sw = (mode: string) => db.call('authenticated', admin, `select public.admin_update_settings($1::jsonb)`, [JSON.stringify({ programme_mode: mode })]);
  await expectDbError(sw('classic'), 'mode_switch_refused');
  // pay it out: nothing waits any more, the switch goes through
  await db.admin.query(`update rebate.products set price_fen = 100000 where id = $1`, [p1]);
  await buy(db, a, p1);                                      // contribution 600.00 pays A's 110.00, then its own 1100.00 waits
  await closeDay(db, -1);
  await expectDbError(sw('classic'), 'mode_switch_refused');
  await refund(db, (await unionEntries(db))[1].order_no, 'R-1');
  await sw('classic');
  expect((await db.admin.query(`select programme_mode from rebate.settings`)).rows[0].programme_mode).toBe('classic');
  // classic entries waiting: back to union is refused
  await db.admin.query(`update rebate.settings set extraction_bps = 1000, default_reward_bps = 10000`);
  await buy(db, a, p1);
  await expectDbError(sw('union'), 'mode_switch_refused');
});

test('Example U6: net profit per channel, less referral rewards and deductions, never below 0', async () => {
  await enableUnion(db, { referral_direct_bps: 1000 });
  const self = await createProduct(db, { kind: 'self', priceFen: 10000 });
  const supplier = await createProduct(db, { kind: 'supplier', priceFen: 10000 });
  const chain = await createProduct(db, { kind: 'supply_chain', priceFen: 10000 });
  await setCost(db, self, 6000);
  await setCost(db, supplier, 9999, 7000);                   // supplier: the supply price counts, not the cost
  await setCost(db, chain, 9500);
  const { storeId } = await createStore(db);
  await setCommission(db, storeId, 1500);
  const sp = await createProduct(db, { storeId, priceFen: 10000 });
  const [r, m] = await createMembers(db, 2);
  await bind(db, m, r);                                      // direct reward 10% of the paid amount
  await grantBalance(db, m, 'points', 5000);
  await buy(db, m, self, 2);                                 // 200.00 − 120.00 − 20.00 = 60.00
  await buy(db, m, supplier);                                // 100.00 − 70.00 − 10.00 = 20.00
  await buy(db, m, chain);                                   // 100.00 − 95.00 − 10.00 < 0 → 0
  const so = await createOrder(db, m, { channel: 'store', store_id: storeId, lines: [{ product_id: sp, quantity: 1 }] });
  await pay(db, so);                                         // 15% of 100.00 − 10.00 = 5.00
  const co = await createOrder(db, m, { channel: 'cashier', store_id: storeId, amount_fen: 10000, points_fen: 1000 });
  await pay(db, co);                                         // 15.00 − 9.00 (10% of 90.00 paid) − 10.00 points < 0 → 0
  expect((await unionLines(db)).map((l) => [l.gross_fen, l.rewards_fen, l.subsidy_fen, l.net_profit_fen, l.contribution_fen])).toEqual([
    [8000, 2000, 0, 6000, 3600], [3000, 1000, 0, 2000, 1200], [500, 1000, 0, 0, 0], [1500, 1000, 0, 500, 300],
    [1500, 900, 1000, 0, 0]]);
});

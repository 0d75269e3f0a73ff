// Bad input gets a clear error with a stable code, and nothing is written.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import {
  buy, complete, createMembers, createOrder, createProduct, createStore, enableRebate, grantBalance, mallOrder, pay,
  refund,
} from '../helpers/engine';

let db: TestDb;
let a: string;
let b: string;
let p: number;            // a mall product at 100.00
let big: number;          // a mall product at 1,000,000.00
let delisted: number;
let storeA: { storeId: number; cashierId: number | null };
let storeB: { storeId: number; cashierId: number | null };
let pending: { storeId: number; cashierId: number | null };
let noCashier: { storeId: number; cashierId: number | null };
let sp: number;           // a product of store A
let spB: number;          // a product of store B

beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db, { merchant_queue: true });
  [a, b] = await createMembers(db, 2);
  p = await createProduct(db, { priceFen: 10000 });
  big = await createProduct(db, { priceFen: 100000000 });
  delisted = await createProduct(db, { listed: false });
  storeA = await createStore(db);
  storeB = await createStore(db);
  pending = await createStore(db, { status: 'pending' });
  noCashier = await createStore(db, { cashier: false });
  sp = await createProduct(db, { storeId: storeA.storeId });
  spB = await createProduct(db, { storeId: storeB.storeId });
  await grantBalance(db, a, 'points', 1000);
  await grantBalance(db, a, 'love', 1000);
});
afterAll(async () => { await db.close(); });

async function counts() {
  const { rows } = await db.admin.query(`
    select (select count(*) from rebate.orders)::int as orders, (select count(*) from rebate.order_lines)::int as lines,
           (select count(*) from rebate.ledger)::int as ledger, (select count(*) from rebate.entries)::int as entries`);
  return rows[0];
}

const order = (body: unknown) => db.call('authenticated', a, `select to_jsonb(public.create_order($1::jsonb))`, [JSON.stringify(body)]);

describe('create_order refuses bad input and writes nothing', () => {
  const cases: Array<[string, unknown, string]> = [
    ['not an object', [1, 2], 'invalid_order'],
    ['a string', 'mall', 'invalid_order'],
    ['an unknown key', { channel: 'mall', lines: [{ product_id: 1, quantity: 1 }], coupon: 5 }, 'invalid_order'],
    ['no channel', { lines: [] }, 'invalid_channel'],
    ['a channel of the wrong type', { channel: 1 }, 'invalid_channel'],
    ['an unknown channel', { channel: 'online' }, 'invalid_channel'],
    ['no lines', { channel: 'mall' }, 'invalid_lines'],
    ['empty lines', { channel: 'mall', lines: [] }, 'invalid_lines'],
    ['lines not an array', { channel: 'mall', lines: { product_id: 1 } }, 'invalid_lines'],
    ['a line that is not an object', { channel: 'mall', lines: [7] }, 'invalid_line'],
    ['a line with an unknown key', { channel: 'mall', lines: [{ product_id: 1, quantity: 1, price: 1 }] }, 'invalid_line'],
    ['a product id as a string', { channel: 'mall', lines: [{ product_id: '1', quantity: 1 }] }, 'invalid_product_id'],
    ['a fractional product id', { channel: 'mall', lines: [{ product_id: 1.5, quantity: 1 }] }, 'invalid_product_id'],
    ['a negative product id', { channel: 'mall', lines: [{ product_id: -1, quantity: 1 }] }, 'invalid_product_id'],
    ['a missing product id', { channel: 'mall', lines: [{ quantity: 1 }] }, 'invalid_product_id'],
    ['an unknown product', { channel: 'mall', lines: [{ product_id: 999999, quantity: 1 }] }, 'product_not_found'],
    ['store_id on a mall order', { channel: 'mall', store_id: 1, lines: [{ product_id: 1, quantity: 1 }] }, 'invalid_order'],
    ['amount_fen on a mall order', { channel: 'mall', amount_fen: 100, lines: [{ product_id: 1, quantity: 1 }] }, 'invalid_order'],
    ['lines on a cashier order', { channel: 'cashier', store_id: 1, amount_fen: 100, lines: [] }, 'invalid_order'],
    ['a cashier order without a store', { channel: 'cashier', amount_fen: 100 }, 'invalid_store_id'],
    ['a store id as a string', { channel: 'cashier', store_id: '1', amount_fen: 100 }, 'invalid_store_id'],
    ['an unknown store', { channel: 'cashier', store_id: 999999, amount_fen: 100 }, 'store_not_found'],
  ];
  test.each(cases)('%s', async (_name, body, code) => {
    const before = await counts();
    await expectDbError(order(body), code, 'P0001');
    expect(await counts()).toEqual(before);
  });

  test('quantities: zero, negative, over 999, fractional, a string, huge', async () => {
    for (const q of [0, -1, 1000, 1.5, '2', 1e300, null]) {
      await expectDbError(order({ channel: 'mall', lines: [{ product_id: p, quantity: q }] }), 'invalid_quantity');
    }
    // JSON numbers beyond any float are still refused cleanly
    await expectDbError(db.call('authenticated', a,
      `select to_jsonb(public.create_order('{"channel":"mall","lines":[{"product_id":1,"quantity":1e400}]}'::jsonb))`), 'invalid_quantity');
    expect((await counts()).orders).toBe(0);
  });

  test('products: delisted, wrong channel, two stores in one order, a store that is not approved', async () => {
    await expectDbError(order(mallOrder([[delisted, 1]])), 'product_unavailable');
    await expectDbError(order(mallOrder([[sp, 1]])), 'product_wrong_channel');
    await expectDbError(order({ channel: 'store', lines: [{ product_id: p, quantity: 1 }] }), 'product_wrong_channel');
    await expectDbError(order({ channel: 'store', lines: [{ product_id: sp, quantity: 1 }, { product_id: spB, quantity: 1 }] }), 'mixed_store_lines');
    await expectDbError(order({ channel: 'store', store_id: storeB.storeId, lines: [{ product_id: sp, quantity: 1 }] }), 'mixed_store_lines');
    const pendingProduct = await createProduct(db, { storeId: pending.storeId });
    await expectDbError(order({ channel: 'store', lines: [{ product_id: pendingProduct, quantity: 1 }] }), 'store_not_approved');
    await expectDbError(order({ channel: 'cashier', store_id: pending.storeId, amount_fen: 100 }), 'store_not_approved');
    await expectDbError(order({ channel: 'cashier', store_id: noCashier.storeId, amount_fen: 100 }), 'cashier_unavailable');
    await expectDbError(order({ channel: 'mall', lines: Array.from({ length: 51 }, () => ({ product_id: p, quantity: 1 })) }), 'too_many_lines');
    expect((await counts()).orders).toBe(0);
  });

  test('amounts: a line or an order over 1,000,000.00 yuan; cashier amounts that are not positive integers', async () => {
    await expectDbError(order(mallOrder([[big, 2]])), 'amount_too_large');
    await expectDbError(order(mallOrder([[big, 1], [p, 1]])), 'amount_too_large');
    const cashier = (amount: unknown) => order({ channel: 'cashier', store_id: storeA.storeId, amount_fen: amount });
    for (const bad of [0, -5, 1.5, '100', 'NaN', null, true, { v: 1 }]) await expectDbError(cashier(bad), 'invalid_amount');
    for (const huge of [100000001, 1e18, 1e300]) await expectDbError(cashier(huge), 'amount_too_large');
    await expectDbError(db.call('authenticated', a, `select to_jsonb(public.create_order(
      jsonb_build_object('channel', 'cashier', 'store_id', $1::int, 'amount_fen', '1e400'::numeric)))`, [storeA.storeId]),
      'amount_too_large');
    // the limit itself is fine
    const ok = await createOrder(db, a, mallOrder([[big, 1]]));
    expect(ok.goods_fen).toBe(100000000);
    await db.admin.query(`delete from rebate.order_lines; delete from rebate.orders`);
  });

  test('deductions: negative, fractional, not numbers, not less than the order, more than the balance', async () => {
    for (const bad of [-1, 0.5, '10', 1e300]) {
      await expectDbError(order(mallOrder([[p, 1]], { points_fen: bad })), 'invalid_deduction');
      await expectDbError(order(mallOrder([[p, 1]], { love_fen: bad })), 'invalid_deduction');
    }
    await expectDbError(order(mallOrder([[p, 1]], { points_fen: 10000 })), 'deduction_exceeds_order');
    await expectDbError(order(mallOrder([[p, 1]], { points_fen: 600, love_fen: 9400 })), 'deduction_exceeds_order');
    await expectDbError(order(mallOrder([[p, 1]], { points_fen: 1001 })), 'insufficient_points');
    await expectDbError(order(mallOrder([[p, 1]], { points_fen: 1000, love_fen: 1001 })), 'insufficient_love');
    const { rows } = await db.admin.query(`select points::int, love_fen::int from rebate.wallets where member_id = $1`, [a]);
    expect(rows[0]).toEqual({ points: 1000, love_fen: 1000 });
    expect((await counts()).orders).toBe(0);
  });

  test('callers that are not members', async () => {
    await expectDbError(db.call('authenticated', null, `select to_jsonb(public.create_order('{"channel":"mall"}'))`), 'not_signed_in');
    await expectDbError(db.call('authenticated', '00000000-0000-4000-8000-0000000000ff', `select to_jsonb(public.create_order('{"channel":"mall"}'))`), 'not_member');
  });
});

describe('payment, completion, refund and cancel refuse what does not fit', () => {
  test('mark_order_paid', async () => {
    const o = await createOrder(db, a, mallOrder([[p, 1]]));
    const paid = (no: string, ref: string, fen: number) =>
      db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [no, ref, fen]);
    await expectDbError(paid('nope', 'r1', 1), 'order_not_found');
    await expectDbError(paid(o.order_no, 'bad ref', o.pay_fen), 'invalid_payment_ref');
    await expectDbError(paid(o.order_no, 'x'.repeat(65), o.pay_fen), 'invalid_payment_ref');
    await expectDbError(paid(o.order_no, 'r1', o.pay_fen - 1), 'paid_amount_mismatch');
    const other = await buy(db, b, p);
    await expectDbError(paid(o.order_no, `pay-${other.order_no}`, o.pay_fen), 'payment_ref_conflict');
    const { rows } = await db.admin.query(`select status from rebate.orders where order_no = $1`, [o.order_no]);
    expect(rows[0].status).toBe('pending');
    await expectDbError(complete(db, o.order_no), 'order_not_completable');
    await expectDbError(refund(db, o.order_no, 'rf-1'), 'order_not_refundable');
  });

  test('refund lines that do not exist, repeat, or were refunded; cancel of a paid order', async () => {
    const o = await createOrder(db, a, mallOrder([[p, 1], [p, 2]]));
    await pay(db, o);
    await expectDbError(refund(db, o.order_no, 'rf-x', [3]), 'invalid_refund_lines');
    await expectDbError(refund(db, o.order_no, 'rf-x', [1, 1]), 'invalid_refund_lines');
    await expectDbError(refund(db, o.order_no, 'rf-x', []), 'invalid_refund_lines');
    await expectDbError(refund(db, o.order_no, 'bad ref!'), 'invalid_refund_ref');
    await refund(db, o.order_no, 'rf-1', [1]);
    await expectDbError(refund(db, o.order_no, 'rf-2', [1]), 'invalid_refund_lines');
    await expectDbError(db.call('service_role', null, `select to_jsonb(public.cancel_order($1))`, [o.order_no]), 'order_not_cancellable');
    await expectDbError(db.call('authenticated', a, `select to_jsonb(public.cancel_my_order($1))`, [o.order_id]), 'order_not_cancellable');
  });

  test('list functions validate their paging and filters', async () => {
    await expectDbError(db.call('authenticated', a, `select * from public.my_orders(null, null, 0)`), 'invalid_limit');
    await expectDbError(db.call('authenticated', a, `select * from public.my_orders('shipped')`), 'invalid_status');
    await expectDbError(db.call('authenticated', a, `select * from public.my_entries('lost')`), 'invalid_status');
    await expectDbError(db.call('authenticated', a, `select * from public.my_ledger('gold')`), 'invalid_asset');
    await expectDbError(db.call('authenticated', a, `select * from public.my_messages(false, null, 101)`), 'invalid_limit');
    await expectDbError(db.call('authenticated', a, `select to_jsonb(public.queue_process(1, 21))`), 'invalid_limit');
  });
});

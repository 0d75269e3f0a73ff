// One scenario per queue scope and switch of SPEC §3 and §5, plus refunds (§10),
// delisting and the ratio sources, through the real RPCs. reconcile() is clean after each.
import { createTestDb, TestDb } from '../helpers/db';
import {
  buy, cancel, complete, createMembers, createOrder, createProduct, createStore, distributions, enableRebate, entries,
  expectHealthy, grantBalance, lineOf, mallOrder, pay, refund, retentions, setSettings, wallet,
} from '../helpers/engine';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await expectHealthy(db); await db.close(); });

describe('queue scopes (SPEC §3)', () => {
  test('merchant queue on: all enabled mall products share one queue', async () => {
    await enableRebate(db, { merchant_queue: true });
    const p1 = await createProduct(db, { priceFen: 10000, kind: 'self' });
    const p2 = await createProduct(db, { priceFen: 10000, kind: 'supplier' });
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, p1);
    await buy(db, b, p2);
    const es = await entries(db);
    expect(es.map((e) => [e.queue_key, e.seq])).toEqual([['mall', 1], ['mall', 2]]);
    expect(es[0].received_fen).toBe(1000);               // p2's order paid p1's buyer
  });

  test('merchant queue off: one queue per product, products do not pay each other', async () => {
    await enableRebate(db, { merchant_queue: false });
    const p1 = await createProduct(db, { priceFen: 10000 });
    const p2 = await createProduct(db, { priceFen: 10000 });
    const [a, b, c] = await createMembers(db, 3);
    await buy(db, a, p1);
    await buy(db, b, p2);
    let es = await entries(db);
    expect(es.map((e) => [e.queue_key, e.seq, e.received_fen])).toEqual([[`product:${p1}#1`, 1, 0], [`product:${p2}#1`, 1, 0]]);
    await buy(db, c, p1);
    es = await entries(db);
    expect(es.find((e) => e.member_id === a)!.received_fen).toBe(1000);
    expect(es.find((e) => e.member_id === b)!.received_fen).toBe(0);
  });

  test('store online: per-store queue when all-stores is off, one queue for all stores when on', async () => {
    await enableRebate(db, { all_stores_queue: false });
    const s1 = await createStore(db);
    const s2 = await createStore(db);
    const p1 = await createProduct(db, { storeId: s1.storeId, priceFen: 10000 });
    const p2 = await createProduct(db, { storeId: s2.storeId, priceFen: 10000 });
    const [a, b, c, d] = await createMembers(db, 4);
    const storeOrder = (p: number) => ({ channel: 'store', lines: [{ product_id: p, quantity: 1 }] });
    await pay(db, await createOrder(db, a, storeOrder(p1)));
    await pay(db, await createOrder(db, b, storeOrder(p2)));
    let es = await entries(db);
    expect(es.map((e) => [e.queue_key, e.received_fen])).toEqual([[`store:${s1.storeId}`, 0], [`store:${s2.storeId}`, 0]]);

    await setSettings(db, { all_stores_queue: true });
    await pay(db, await createOrder(db, c, storeOrder(p1)));
    await pay(db, await createOrder(db, d, storeOrder(p2)));
    es = await entries(db);
    const shared = es.filter((e) => e.queue_key === 'stores');
    expect(shared.map((e) => [e.member_id, e.received_fen])).toEqual([[c, 1000], [d, 0]]);
    // entries that joined the per-store queues stay there
    expect(es.filter((e) => e.queue_key.startsWith('store:')).map((e) => e.received_fen)).toEqual([0, 0]);
  });

  test('cashier payments: per-cashier queue when all-cashiers is off, shared when on; never mixed with store online', async () => {
    await enableRebate(db, { all_cashiers_queue: false, all_stores_queue: false });
    const s1 = await createStore(db);
    const s2 = await createStore(db);
    const online = await createProduct(db, { storeId: s1.storeId, priceFen: 10000 });
    const [a, b, c, d, e] = await createMembers(db, 5);
    const cashier = (storeId: number) => ({ channel: 'cashier', store_id: storeId, amount_fen: 10000 });
    await pay(db, await createOrder(db, a, cashier(s1.storeId)));
    await pay(db, await createOrder(db, b, { channel: 'store', lines: [{ product_id: online, quantity: 1 }] }));
    await pay(db, await createOrder(db, c, cashier(s2.storeId)));
    let es = await entries(db);
    expect(es.map((x) => [x.queue_key, x.received_fen])).toEqual([
      [`store:${s1.storeId}`, 0], [`cashier:${s1.cashierId}`, 0], [`cashier:${s2.cashierId}`, 0],
    ]);

    await setSettings(db, { all_cashiers_queue: true });
    await pay(db, await createOrder(db, d, cashier(s1.storeId)));
    await pay(db, await createOrder(db, e, cashier(s2.storeId)));
    es = await entries(db);
    expect(es.filter((x) => x.queue_key === 'cashiers').map((x) => [x.member_id, x.received_fen])).toEqual([[d, 1000], [e, 0]]);
  });
});

describe('the queue head pointer', () => {
  const head = async () => (await db.admin.query(`select head_seq::int from rebate.queues where scope = 'mall'`)).rows[0].head_seq;

  test('moves past what completed under queue order, never past a waiting entry', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 5000 });
    const p = await createProduct(db);
    const m = await createMembers(db, 6);
    await buy(db, m[0], p);
    expect(await head()).toBe(1);                // nothing ahead of the first order: stays
    await buy(db, m[1], p);
    expect(await head()).toBe(1);                // m0 half paid
    await buy(db, m[2], p);
    expect(await head()).toBe(2);                // m0 completed
    const o1 = (await entries(db))[1].order_no;
    await refund(db, o1, 'rf-1');                 // m1's entry voided: the next payment skips it
    await buy(db, m[3], p);
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([10000, 0, 5000, 0]);
    expect(await head()).toBe(3);
    await setSettings(db, { reward_rule: 'completed_queue_order' });
    await buy(db, m[4], p);                       // nothing eligible: retained, the head stays
    expect(await head()).toBe(3);
  });
});

describe('settlement event (SPEC §5.5)', () => {
  test('after payment: extraction is distributed when the order is paid', async () => {
    await enableRebate(db, { merchant_queue: true, settle_event: 'paid' });
    const p = await createProduct(db);
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, p);
    const ob = await buy(db, b, p);
    expect((await lineOf(db, ob.order_no))).toMatchObject({ settled: true, distributed_fen: 1000 });
    expect((await entries(db))[0].received_fen).toBe(1000);
  });

  test('after completion: a paid line joins at payment but extracts only at completion, paying the entries ahead of it', async () => {
    await enableRebate(db, { merchant_queue: true, settle_event: 'completed' });
    const p = await createProduct(db);
    const [a, b, c] = await createMembers(db, 3);
    const oa = await buy(db, a, p);
    const ob = await buy(db, b, p);
    expect(await lineOf(db, ob.order_no)).toMatchObject({ seq: 2, settled: false, distributed_fen: 0 });
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([0, 0]);
    const oc = await buy(db, c, p);
    await complete(db, oc.order_no);                 // C (seq 3) completes first: pays A, the head
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([1000, 0, 0]);
    await complete(db, ob.order_no);                 // B (seq 2) pays only what is ahead of it: A
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([2000, 0, 0]);
    await complete(db, oa.order_no);                 // A is first: nothing ahead, retained
    expect(await retentions(db)).toEqual([{ order_no: oa.order_no, line_no: 1, amount_fen: 1000, reason: 'no_waiting_entry' }]);
    // completing again changes nothing
    expect(await complete(db, oa.order_no)).toMatchObject({ replayed: true });
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([2000, 0, 0]);
  });
});

describe('queue reward rule (SPEC §5.6)', () => {
  test('queue order: entries are paid in order whether or not their order is completed', async () => {
    await enableRebate(db, { merchant_queue: true, reward_rule: 'queue_order' });
    const p = await createProduct(db);
    const [a, b, c] = await createMembers(db, 3);
    await buy(db, a, p);
    const ob = await buy(db, b, p);
    await complete(db, ob.order_no);
    await buy(db, c, p);
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([2000, 0, 0]);
  });

  test('completed + queue order: uncompleted entries are skipped until they complete', async () => {
    await enableRebate(db, { merchant_queue: true, reward_rule: 'completed_queue_order' });
    const p = await createProduct(db);
    const [a, b, c, d, e] = await createMembers(db, 5);
    const oa = await buy(db, a, p);
    const ob = await buy(db, b, p);              // A not completed: B's extraction is retained
    expect(await retentions(db)).toHaveLength(2);
    await complete(db, ob.order_no);
    await buy(db, c, p);                          // skips A (not completed), pays B
    expect((await entries(db)).map((x) => [x.received_fen, x.order_completed])).toEqual([[0, false], [1000, true], [0, false]]);
    await complete(db, oa.order_no);
    await buy(db, d, p);                          // A completed now: the oldest again
    expect((await entries(db)).map((x) => x.received_fen)).toEqual([1000, 1000, 0, 0]);
    await setSettings(db, { reward_rule: 'queue_order' });
    await buy(db, e, p);                          // the rule is read at settlement time
    expect((await entries(db)).map((x) => x.received_fen)).toEqual([2000, 1000, 0, 0, 0]);
  });
});

describe('deduction switch (SPEC §5.4)', () => {
  test('participate: a line paid partly with points earns its entitlement on the cash paid', async () => {
    await enableRebate(db, { merchant_queue: true, deduction_participates: true });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b] = await createMembers(db, 2);
    await grantBalance(db, a, 'points', 5000);
    const oa = await createOrder(db, a, mallOrder([[p, 1]], { points_fen: 2000 }));
    expect(oa).toMatchObject({ goods_fen: 10000, points_deduct_fen: 2000, pay_fen: 8000 });
    await pay(db, oa);
    expect(await lineOf(db, oa.order_no)).toMatchObject({ entitlement_fen: 8000, extraction_fen: 800, pay_fen: 8000 });
    expect(await wallet(db, a)).toMatchObject({ points: 3000 });
    await buy(db, b, p);
    expect((await entries(db))[0]).toMatchObject({ member_id: a, entitlement_fen: 8000, received_fen: 1000 });
  });

  test('not participate: no entitlement, but the extraction on the cash paid still pays the queue', async () => {
    await enableRebate(db, { merchant_queue: true, deduction_participates: false });
    const p = await createProduct(db, { priceFen: 10000 });
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, p);
    await grantBalance(db, b, 'love', 5000);
    const ob = await createOrder(db, b, mallOrder([[p, 1]], { love_fen: 3000 }));
    await pay(db, ob);
    expect(await lineOf(db, ob.order_no)).toMatchObject({
      seq: 2, no_entry_reason: 'deduction_excluded', entitlement_fen: 0, extraction_fen: 700, distributed_fen: 700,
    });
    const es = await entries(db);
    expect(es).toHaveLength(1);
    expect(es[0]).toMatchObject({ member_id: a, received_fen: 700 });
  });
});

describe('pause, plugin off, product rebate off (SPEC §5.1, §5.18)', () => {
  test('pause: entries still join; extraction is retained with reason paused and not owed later', async () => {
    await enableRebate(db, { merchant_queue: true, paused: true });
    const p = await createProduct(db);
    const [a, b, c] = await createMembers(db, 3);
    const oa = await buy(db, a, p);
    const ob = await buy(db, b, p);
    expect((await entries(db)).map((e) => [e.status, e.received_fen])).toEqual([['waiting', 0], ['waiting', 0]]);
    expect(await retentions(db)).toEqual([
      { order_no: oa.order_no, line_no: 1, amount_fen: 1000, reason: 'paused' },
      { order_no: ob.order_no, line_no: 1, amount_fen: 1000, reason: 'paused' },
    ]);
    await setSettings(db, { paused: false });
    await buy(db, c, p);
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([1000, 0, 0]);
  });

  test('plugin off: a paid line earns no entry and extracts nothing', async () => {
    await enableRebate(db, { merchant_queue: true });
    const p = await createProduct(db);
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, p);
    await setSettings(db, { enabled: false });
    const ob = await buy(db, b, p);
    expect(await lineOf(db, ob.order_no)).toMatchObject({ queue_id: null, seq: null, no_entry_reason: 'plugin_off', extraction_fen: 0 });
    expect(await entries(db)).toHaveLength(1);
    expect((await entries(db))[0].received_fen).toBe(0);
  });

  test('product rebate off: the product does not take part (no entry, no extraction)', async () => {
    await enableRebate(db, { merchant_queue: true });
    const on = await createProduct(db);
    const off = await createProduct(db, { rebateEnabled: false });
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, on);
    const ob = await buy(db, b, off);
    expect(await lineOf(db, ob.order_no)).toMatchObject({ no_entry_reason: 'product_rebate_off', queue_id: null });
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([0]);
  });

  test('plugin switched off between payment and completion: extraction settled at completion is retained', async () => {
    await enableRebate(db, { merchant_queue: true, settle_event: 'completed' });
    const p = await createProduct(db);
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, p);
    const ob = await buy(db, b, p);
    await setSettings(db, { enabled: false });
    await complete(db, ob.order_no);
    expect(await retentions(db)).toEqual([{ order_no: ob.order_no, line_no: 1, amount_fen: 1000, reason: 'plugin_off' }]);
  });
});

describe('refunds (SPEC §10)', () => {
  test('refund before settlement: the line earns nothing and extracts nothing; the entry is voided', async () => {
    await enableRebate(db, { merchant_queue: true, settle_event: 'completed' });
    const p = await createProduct(db);
    const [a, b, c] = await createMembers(db, 3);
    await buy(db, a, p);
    const ob = await buy(db, b, p);
    const r = await refund(db, ob.order_no, 'refund-b');
    expect(r).toMatchObject({ refund_fen: 10000, clawback_fen: 0, cost_fen: 0, order_status: 'refunded', replayed: false });
    expect((await entries(db)).map((e) => [e.status, e.closed_fen])).toEqual([['waiting', 0], ['voided', 10000]]);
    expect(await lineOf(db, ob.order_no)).toMatchObject({ settled: false, refunded: true });
    // B never settles: nothing reaches A from B; a later order skips the voided entry
    const oc = await buy(db, c, p);
    await complete(db, oc.order_no);
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([1000, 0, 0]);
    expect(await distributions(db)).toHaveLength(1);
  });

  test('refund after settlement: entry voided, received rebate kept back from the refund, distributed extraction is a cost', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 3000 });
    const p = await createProduct(db);
    const [a, b, c, d] = await createMembers(db, 4);
    const oa = await buy(db, a, p);
    await buy(db, b, p);
    await buy(db, c, p);                          // A has 60.00
    const r = await refund(db, oa.order_no, 'refund-a');
    expect(r).toMatchObject({ refund_fen: 4000, clawback_fen: 6000, shortfall_fen: 0, cost_fen: 0, replayed: false });
    expect((await entries(db))[0]).toMatchObject({ status: 'voided', received_fen: 6000, closed_fen: 4000 });
    expect(await wallet(db, a)).toMatchObject({ cash_fen: 6000 });
    // B's extraction already paid A: a refund of B is a platform cost of 30.00
    const ob = (await entries(db))[1].order_no;
    const rb = await refund(db, ob, 'refund-b');
    expect(rb).toMatchObject({ refund_fen: 10000, cost_fen: 3000 });
    expect(await wallet(db, a)).toMatchObject({ cash_fen: 6000 });
    // the voided entries are skipped: D pays C
    await buy(db, d, p);
    expect((await entries(db)).map((e) => [e.status, e.received_fen])).toEqual([
      ['voided', 6000], ['voided', 0], ['waiting', 3000], ['waiting', 0],
    ]);
  });

  test('a rebate larger than the line\'s cash is recorded as shortfall; the refund is zero', async () => {
    await enableRebate(db, { merchant_queue: true, default_reward_bps: 30000, extraction_bps: 5000 });
    const p = await createProduct(db);
    const m = await createMembers(db, 4);
    const o0 = await buy(db, m[0], p);
    for (let i = 1; i < 4; i++) await buy(db, m[i], p);   // m0 received 150.00 of 300.00
    const r = await refund(db, o0.order_no, 'refund-0');
    expect(r).toMatchObject({ refund_fen: 0, clawback_fen: 10000, shortfall_fen: 5000 });
  });

  test('partial refund by line: only those lines; points of those lines return to the wallet', async () => {
    await enableRebate(db, { merchant_queue: true });
    const p1 = await createProduct(db, { priceFen: 10000 });
    const p2 = await createProduct(db, { priceFen: 30000 });
    const [a] = await createMembers(db, 1);
    await grantBalance(db, a, 'points', 4000);
    const o = await createOrder(db, a, mallOrder([[p1, 1], [p2, 1]], { points_fen: 4000 }));
    expect(o.lines.map((l) => [l.points_deduct_fen, l.pay_fen])).toEqual([[1000, 9000], [3000, 27000]]);
    await pay(db, o);
    const r = await refund(db, o.order_no, 'refund-line2', [2]);
    expect(r).toMatchObject({ line_nos: [2], refund_fen: 27000, points_returned: 3000, order_status: 'paid' });
    expect(await wallet(db, a)).toMatchObject({ points: 3000 });
    expect((await entries(db)).map((e) => e.status)).toEqual(['waiting', 'voided']);
    const r2 = await refund(db, o.order_no, 'refund-rest');
    expect(r2).toMatchObject({ line_nos: [1], refund_fen: 9000, order_status: 'refunded' });
    expect(await wallet(db, a)).toMatchObject({ points: 4000 });
  });

  test('refund and payment notifications are idempotent', async () => {
    await enableRebate(db, { merchant_queue: true });
    const p = await createProduct(db);
    const [a, b] = await createMembers(db, 2);
    const oa = await createOrder(db, a, mallOrder([[p, 1]]));
    const first = await pay(db, oa, 'wx-pay-1');
    const again = await pay(db, oa, 'wx-pay-1');
    expect(again).toEqual({ ...first, replayed: true });
    await expect(pay(db, oa, 'wx-pay-2')).rejects.toMatchObject({ message: 'order_already_paid' });
    await buy(db, b, p);
    const r1 = await refund(db, oa.order_no, 'wx-refund-1');
    const r2 = await refund(db, oa.order_no, 'wx-refund-1');
    expect(r2).toEqual({ ...r1, replayed: true });
    expect(await wallet(db, a)).toMatchObject({ cash_fen: 1000 });
    await expect(refund(db, oa.order_no, 'wx-refund-2')).rejects.toMatchObject({ message: 'order_not_refundable' });
    const ob = (await entries(db))[1].order_no;
    await expect(refund(db, ob, 'wx-refund-1')).rejects.toMatchObject({ message: 'refund_ref_conflict' });
    expect((await entries(db)).filter((e) => e.status === 'voided')).toHaveLength(1);
  });

  test('cancel returns the deductions; a cancelled order cannot be paid', async () => {
    await enableRebate(db);
    const p = await createProduct(db);
    const [a] = await createMembers(db, 1);
    await grantBalance(db, a, 'points', 500);
    await grantBalance(db, a, 'love', 700);
    const o = await createOrder(db, a, mallOrder([[p, 1]], { points_fen: 500, love_fen: 700 }));
    expect(await wallet(db, a)).toMatchObject({ points: 0, love_fen: 0 });
    expect(await cancel(db, o.order_no)).toMatchObject({ status: 'cancelled', replayed: false });
    expect(await cancel(db, o.order_no)).toMatchObject({ status: 'cancelled', replayed: true });
    expect(await wallet(db, a)).toMatchObject({ points: 500, love_fen: 700 });
    await expect(pay(db, o)).rejects.toMatchObject({ message: 'order_not_pending' });
  });
});

describe('delisted product (SPEC §3)', () => {
  test('cannot be ordered; its product queue is never paid again; relisting opens a new queue', async () => {
    await enableRebate(db, { merchant_queue: false, settle_event: 'completed' });
    const p = await createProduct(db);
    const [a, b, c] = await createMembers(db, 3);
    await buy(db, a, p);
    const ob = await buy(db, b, p);
    await db.admin.query(`update rebate.products set listed = false where id = $1`, [p]);
    await expect(createOrder(db, c, mallOrder([[p, 1]]))).rejects.toMatchObject({ message: 'product_unavailable' });
    await complete(db, ob.order_no);             // B settles after the delisting: retained
    expect(await retentions(db)).toEqual([{ order_no: ob.order_no, line_no: 1, amount_fen: 1000, reason: 'queue_closed' }]);
    expect((await entries(db)).map((e) => e.received_fen)).toEqual([0, 0]);

    await db.admin.query(`update rebate.products set listed = true where id = $1`, [p]);
    await setSettings(db, { settle_event: 'paid' });
    await buy(db, c, p);
    const es = await entries(db);
    expect(es.map((e) => [e.queue_key, e.seq])).toEqual([[`product:${p}#1`, 1], [`product:${p}#1`, 2], [`product:${p}#2`, 1]]);
    expect(es.map((e) => e.received_fen)).toEqual([0, 0, 0]);
  });

  test('a line paid while listed but delisted before payment earns nothing', async () => {
    await enableRebate(db, { merchant_queue: false });
    const p = await createProduct(db);
    const [a] = await createMembers(db, 1);
    const o = await createOrder(db, a, mallOrder([[p, 1]]));
    await db.admin.query(`update rebate.products set listed = false where id = $1`, [p]);
    await pay(db, o);
    expect(await lineOf(db, o.order_no)).toMatchObject({ no_entry_reason: 'product_delisted', queue_id: null });
  });
});

describe('orders with several lines, repurchase, ratio sources', () => {
  test('the lines of one order join in line order and never pay each other; a later order of the same member may', async () => {
    await enableRebate(db, { merchant_queue: true, extraction_bps: 5000 });
    const p = await createProduct(db);
    const [a] = await createMembers(db, 1);
    const o1 = await createOrder(db, a, mallOrder([[p, 1], [p, 2]]));
    await pay(db, o1);
    let es = await entries(db);
    expect(es.map((e) => [e.seq, e.line_no, e.entitlement_fen, e.received_fen])).toEqual([[1, 1, 10000, 0], [2, 2, 20000, 0]]);
    expect(await retentions(db)).toHaveLength(2);
    expect(await lineOf(db, o1.order_no, 2)).toMatchObject({ seq: 2, pay_below_seq: 1 });
    await buy(db, a, p);                          // repurchase pays the member's own earlier entry
    es = await entries(db);
    expect(es.map((e) => e.received_fen)).toEqual([5000, 0, 0]);
    expect(await wallet(db, a)).toMatchObject({ cash_fen: 5000 });
  });

  test('ratios: product → store/cashier default → plugin default; extraction: most specific wins', async () => {
    await enableRebate(db, { default_reward_bps: 10000, extraction_bps: 1000 });
    const s = await createStore(db, { rewardBps: 12000, extractionBps: 2000, cashier: { rewardBps: 15000, extractionBps: 2500 } });
    const plain = await createProduct(db, { storeId: s.storeId, priceFen: 10000 });
    const own = await createProduct(db, { storeId: s.storeId, priceFen: 10000, rewardBps: 20000, extractionBps: 3000 });
    const mall = await createProduct(db, { priceFen: 10000 });
    const [a] = await createMembers(db, 1);
    const o1 = await createOrder(db, a, { channel: 'store', lines: [{ product_id: plain, quantity: 1 }, { product_id: own, quantity: 1 }] });
    await pay(db, o1);
    expect(await lineOf(db, o1.order_no, 1)).toMatchObject({ reward_bps: 12000, reward_rule_code: 'store_ratio', reward_rule_label: '门店默认比例', extraction_bps: 2000 });
    expect(await lineOf(db, o1.order_no, 2)).toMatchObject({ reward_bps: 20000, reward_rule_code: 'store_product_ratio', extraction_bps: 3000 });
    const o2 = await createOrder(db, a, { channel: 'cashier', store_id: s.storeId, amount_fen: 5000 });
    await pay(db, o2);
    expect(await lineOf(db, o2.order_no)).toMatchObject({ reward_bps: 15000, reward_rule_code: 'cashier_ratio', reward_rule_label: '收银台默认比例', extraction_bps: 2500, entitlement_fen: 7500 });
    const o3 = await buy(db, a, mall);
    expect(await lineOf(db, o3.order_no)).toMatchObject({ reward_bps: 10000, reward_rule_code: 'plugin_default', reward_rule_label: '默认比例', extraction_bps: 1000 });
  });

  test('rounding: entitlement and extraction are rounded half-up to the fen once', async () => {
    await enableRebate(db, { merchant_queue: true, default_reward_bps: 3333, extraction_bps: 1250 });
    const p = await createProduct(db, { priceFen: 12345 });
    const [a, b] = await createMembers(db, 2);
    const oa = await buy(db, a, p);
    // 12345 × 33.33% = 4114.6885 → 4115; 12345 × 12.5% = 1543.125 → 1543
    expect(await lineOf(db, oa.order_no)).toMatchObject({ entitlement_fen: 4115, extraction_fen: 1543 });
    await setSettings(db, { extraction_bps: 500 });
    const ob = await buy(db, b, p, 1);
    // 12345 × 5% = 617.25 → 617
    expect(await lineOf(db, ob.order_no)).toMatchObject({ extraction_fen: 617 });
    await setSettings(db, { extraction_bps: 1000 });
    const p2 = await createProduct(db, { priceFen: 105 });
    const oc = await buy(db, b, p2);
    // 105 × 10% = 10.5 → 11 (half up)
    expect(await lineOf(db, oc.order_no)).toMatchObject({ extraction_fen: 11 });
  });
});

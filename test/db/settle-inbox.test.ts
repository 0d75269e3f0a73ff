// Batched settlement (docs/engine.md): a payment is accepted into its queue's settle inbox and
// settled at once if the queue is free; on a busy queue settle_pending settles the inbox
// oldest first, each order atomically. (A test makes its queue busy by holding its row.) The result must
// be exactly what paying the orders one at a time in acceptance order gives (the reference
// model), whatever the batching; a failing order holds the queue (FIFO) until it is parked;
// refunds and completions of an accepted order settle it first; reconcile() is clean after
// every money step.
import { EngineModel } from '@/lib/engine-model';
import { createTestDb, TestDb } from '../helpers/db';
import {
  complete, createMembers, createOrder, createProduct, distributions, enableRebate, entries, mallOrder, pay,
  reconcile, refund, retentions, wallet,
} from '../helpers/engine';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await db.close(); });

interface Order { order_no: string; pay_fen: number }

const accept = async (o: Order) =>
  (await db.call('service_role', null, `select public.accept_payment($1, $2, $3) as r`, [o.order_no, `pay-${o.order_no}`, o.pay_fen]))[0].r;
const settlePending = async (queueId: number | null = null, max = 50) =>
  (await db.call('service_role', null, `select public.settle_pending($1, $2) as r`, [queueId, max]))[0].r;
const mallQueueId = async () =>
  Number((await db.admin.query(`select id from rebate.queues where scope = 'mall'`)).rows[0].id);
/** Runs fn while another transaction holds the mall queue's row, as a settler would. */
async function whileQueueBusy<T>(fn: () => Promise<T>): Promise<T> {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`select 1 from rebate.queues where scope = 'mall' for no key update`);
    return await fn();
  } finally {
    await c.query('rollback');
    c.release();
  }
}
const acceptAll = (os: Order[]) => whileQueueBusy(async () => { for (const o of os) await accept(o); });
const inbox = async () => (await db.admin.query(
  `select o.order_no, i.attempts, i.last_error from rebate.settle_inbox i join rebate.orders o on o.id = i.order_id order by i.id`)).rows;

async function fixture(n: number, prices = [10000, 2500, 7300]) {
  await enableRebate(db, { merchant_queue: true, default_reward_bps: 10000, extraction_bps: 3000 });
  const products: number[] = [];
  for (const priceFen of prices) products.push(await createProduct(db, { priceFen }));
  const members = await createMembers(db, 7);
  const orders: Order[] = [];
  const plan: Array<{ member: string; product: number; quantity: number }> = [];
  for (let i = 0; i < n; i++) {
    const step = { member: members[i % members.length], product: products[i % products.length], quantity: 1 + (i % 2) };
    plan.push(step);
    orders.push(await createOrder(db, step.member, mallOrder([[step.product, step.quantity]])));
  }
  const model = new EngineModel({ enabled: true, merchantQueue: true, defaultRewardBps: 10000, extractionBps: 3000 });
  products.forEach((id, i) => model.addProduct({ id, kind: 'self', storeId: null, priceFen: prices[i], listed: true,
    rebateEnabled: true, rewardBps: null, extractionBps: null }));
  /** The model paying the given orders one at a time, in this order. */
  const modelPaying = (inOrder: Order[]) => {
    for (const o of inOrder) {
      const step = plan[orders.indexOf(o)];
      model.createOrder(o.order_no, step.member, { channel: 'mall', lines: [{ productId: step.product, quantity: step.quantity }] });
      model.pay(o.order_no);
    }
    return model;
  };
  return { orders, modelPaying };
}

async function expectSameAsModel(model: EngineModel) {
  const es = await entries(db);
  expect(es.map((e) => [e.order_no, e.received_fen, e.status]))
    .toEqual(model.entries.map((e) => [e.orderHandle, e.receivedFen, e.status]));
  expect((await distributions(db)).map((d) => [d.source_order_no, d.entry_order_no, d.amount_fen]))
    .toEqual(model.distributions.map((d) => [d.sourceOrder, d.entryOrder, d.amountFen]));
  expect((await retentions(db)).map((r) => [r.order_no, r.amount_fen]))
    .toEqual(model.retentions.map((r) => [r.orderHandle, r.amountFen]));
}

test('accept_payment settles at once when the queue is free', async () => {
  const { orders: [a, b], modelPaying } = await fixture(2);
  expect(await accept(a)).toMatchObject({ order_no: a.order_no, status: 'paid', replayed: false, settled: true, settle_queue_id: null });
  expect(await accept(b)).toMatchObject({ settled: true, settle_queue_id: null });
  expect(await inbox()).toEqual([]);
  await expectSameAsModel(modelPaying([a, b]));
  expect(await reconcile(db)).toEqual([]);
});

test('accept_payment on a busy queue: the order is paid and waits in the inbox; settle_pending settles it', async () => {
  const { orders: [a] } = await fixture(1);
  const queue = await mallQueueId();
  const r = await whileQueueBusy(() => accept(a));
  expect(r).toMatchObject({ order_no: a.order_no, status: 'paid', replayed: false, settled: false, settle_queue_id: queue });
  expect(await entries(db)).toEqual([]);
  expect(await inbox()).toEqual([{ order_no: a.order_no, attempts: 0, last_error: null }]);
  expect(await reconcile(db)).toEqual([]);

  // the same notification again: nothing changes
  expect(await accept(a)).toMatchObject({ replayed: true, settled: false });
  expect(await settlePending(queue)).toEqual({ settled: 1, waiting: 0, retry: false });
  expect((await entries(db)).map((e) => [e.order_no, e.seq, e.status])).toEqual([[a.order_no, 1, 'waiting']]);
  expect(await inbox()).toEqual([]);
  expect(await accept(a)).toMatchObject({ replayed: true, settled: true, settle_queue_id: null });
  expect(await reconcile(db)).toEqual([]);
});

test('one batch settles in acceptance order, exactly as paying one at a time in that order', async () => {
  const { orders, modelPaying } = await fixture(30);
  const accepted = [...orders].sort(() => Math.random() - 0.5);
  await acceptAll(accepted);
  expect(await reconcile(db)).toEqual([]);
  expect(await settlePending(await mallQueueId(), 50)).toEqual({ settled: 30, waiting: 0, retry: false });
  const es = await entries(db);
  expect(es.map((e) => e.order_no)).toEqual(accepted.map((o) => o.order_no));
  await expectSameAsModel(modelPaying(accepted));
  expect(await reconcile(db)).toEqual([]);
});

test('batches are at most p_max orders; the sweep (no queue given) settles every queue', async () => {
  const { orders, modelPaying } = await fixture(12);
  await acceptAll(orders);
  expect(await settlePending(await mallQueueId(), 5)).toEqual({ settled: 5, waiting: 7, retry: false });
  expect(await settlePending(null, 50)).toEqual({ settled: 7, waiting: 0, retry: false });
  await expectSameAsModel(modelPaying(orders));
  expect(await reconcile(db)).toEqual([]);
  await expect(settlePending(null, 0)).rejects.toMatchObject({ message: 'invalid_batch_size' });
});

test('mark_order_paid settles the orders accepted before it first, then its own', async () => {
  const { orders: [a, b, c], modelPaying } = await fixture(3);
  await acceptAll([a, b]);
  expect(await pay(db, c)).toMatchObject({ order_no: c.order_no, status: 'paid', replayed: false, settled: true });
  expect((await entries(db)).map((e) => [e.order_no, e.seq])).toEqual([[a.order_no, 1], [b.order_no, 2], [c.order_no, 3]]);
  expect(await inbox()).toEqual([]);
  await expectSameAsModel(modelPaying([a, b, c]));
  expect(await reconcile(db)).toEqual([]);
});

test('a failing settlement holds the queue (FIFO), is retried first, and is parked after three attempts', async () => {
  const { orders: [a, b, c], modelPaying } = await fixture(3);
  const queue = await mallQueueId();
  // b's settlement fails for as long as this trigger exists
  await db.admin.query(`create function public.test_fail_b() returns trigger language plpgsql as $$
    begin if new.order_id = (select id from rebate.orders where order_no = '${b.order_no}') then
      raise exception 'b cannot join'; end if; return new; end $$`);
  await db.admin.query(`create trigger test_fail_b before insert on rebate.entries for each row execute function public.test_fail_b()`);
  await acceptAll([a, b, c]);

  expect(await settlePending(queue)).toEqual({ settled: 1, waiting: 2, retry: false });
  expect(await inbox()).toEqual([
    { order_no: b.order_no, attempts: 1, last_error: 'P0001 b cannot join' },
    { order_no: c.order_no, attempts: 0, last_error: null },
  ]);
  // nothing of b is half-applied: no line joined, the queue totals count a only
  const { rows: [line] } = await db.admin.query(`select queue_id, seq, settled_at from rebate.order_lines l
    join rebate.orders o on o.id = l.order_id where o.order_no = $1`, [b.order_no]);
  expect(line).toEqual({ queue_id: null, seq: null, settled_at: null });
  expect(await reconcile(db)).toEqual([]);

  expect(await settlePending(queue)).toEqual({ settled: 0, waiting: 2, retry: false });
  expect(await settlePending(queue)).toEqual({ settled: 0, waiting: 2, retry: false });
  // parked: the queue moves on, reconcile() names it
  expect(await settlePending(queue)).toEqual({ settled: 1, waiting: 1, retry: false });
  expect(await inbox()).toEqual([{ order_no: b.order_no, attempts: 3, last_error: 'P0001 b cannot join' }]);
  const { rows: [{ id: bId }] } = await db.admin.query(`select id::text from rebate.orders where order_no = $1`, [b.order_no]);
  expect(await reconcile(db)).toEqual([{ check_name: 'settle_inbox_parked', subject: bId, expected: '0', actual: '3' }]);

  // an administrator puts it back: while the cause is there it fails again (recorded); once
  // the cause is gone it settles, behind c
  const [admin] = await createMembers(db, 1, { isAdmin: true });
  const [member] = await createMembers(db, 1);
  const retry = `select public.admin_retry_settlement('${b.order_no}') as r`;
  await expect(db.call('authenticated', member, retry)).rejects.toMatchObject({ code: 'P0001' });
  expect((await db.call('authenticated', admin, retry))[0].r)
    .toEqual({ order_no: b.order_no, settled: false, last_error: 'P0001 b cannot join' });
  await db.admin.query(`drop trigger test_fail_b on rebate.entries`);
  expect((await db.call('authenticated', admin, retry))[0].r).toEqual({ order_no: b.order_no, settled: true, last_error: null });
  await expect(db.call('authenticated', admin, retry)).rejects.toMatchObject({ message: 'order_not_awaiting_settlement' });
  await expectSameAsModel(modelPaying([a, c, b]));
  expect(await reconcile(db)).toEqual([]);
});

test('refunding or completing an accepted order settles it first', async () => {
  const { orders: [a, b, c, d] } = await fixture(4, [10000]);
  await pay(db, a);
  await acceptAll([b, c]);
  // a ¥100, b ¥200, c ¥100, d ¥200; 30% extraction. Refunding c: b and c settle first (b pays
  // a ¥60, c pays a ¥30), then c is refunded (its entry voided)
  const r = await refund(db, c.order_no, `rf-${c.order_no}`);
  expect(r).toMatchObject({ order_no: c.order_no, replayed: false });
  expect(await inbox()).toEqual([]);
  const es = await entries(db);
  expect(es.map((e) => [e.order_no, e.seq, e.status])).toEqual([
    [a.order_no, 1, 'waiting'], [b.order_no, 2, 'waiting'], [c.order_no, 3, 'voided']]);
  expect(es.map((e) => e.received_fen)).toEqual([9000, 0, 0]);
  expect(await reconcile(db)).toEqual([]);

  await acceptAll([d]);
  expect(await inbox()).toHaveLength(1);
  expect(await complete(db, d.order_no)).toMatchObject({ order_no: d.order_no, status: 'completed', replayed: false });
  expect(await inbox()).toEqual([]);
  const after = await entries(db);
  expect(after.find((e) => e.order_no === d.order_no)).toMatchObject({ seq: 4, status: 'waiting' });
  // d's ¥60: ¥10 completes a, ¥50 to b
  expect(after.map((e) => [e.status, e.received_fen])).toEqual([['completed', 10000], ['waiting', 5000], ['voided', 0], ['waiting', 0]]);
  expect(await reconcile(db)).toEqual([]);
});

test('eight connections accept and settle at once: every order settled once, in queue order, as the model', async () => {
  const n = 160;
  const { orders, modelPaying } = await fixture(n);
  const queue = await mallQueueId();
  let next = 0;
  const errors: unknown[] = [];
  // as pay-notify does: accept (settled there if the queue is free), else settle the queue's
  // inbox; every notification twice
  const deliveries = [...orders, ...orders].sort(() => Math.random() - 0.5);
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < deliveries.length) {
      const o = deliveries[next++];
      try {
        const r = await accept(o);
        if (r.settle_queue_id != null) await settlePending(r.settle_queue_id);
      } catch (e) { errors.push(e); }
    }
  }));
  expect(errors).toEqual([]);
  expect(await inbox()).toEqual([]);
  expect(await reconcile(db)).toEqual([]);
  const es = await entries(db);
  expect(es.map((e) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
  // the queue's order is the model's order; nothing paid twice
  const bySeq = new Map(es.map((e) => [e.order_no, e.seq]));
  await expectSameAsModel(modelPaying([...orders].sort((x, y) => bySeq.get(x.order_no)! - bySeq.get(y.order_no)!)));
  const { rows: [q] } = await db.admin.query(`select total_extracted_fen::float8 as ext from rebate.queues where id = $1`, [queue]);
  const { rows: [sum] } = await db.admin.query(`select sum(extraction_fen)::float8 as ext, count(*)::int as n from rebate.order_lines where settled_at is not null`);
  expect(sum).toEqual({ ext: q.ext, n });
}, 120_000);

// ------------------------------------------------------------ orders in several queues
// Per-product queues: an order with two products joins two queues and waits in the inbox of the
// lower one. A batch that has already settled an order holds queue rows and wallets until it
// commits, so it never waits for another queue: it gives way (retry), uncharged.

async function productQueues(n: number) {
  await enableRebate(db, { merchant_queue: false, default_reward_bps: 10000, extraction_bps: 3000 });
  const products: number[] = [];
  for (let i = 0; i < n; i++) products.push(await createProduct(db, { priceFen: 10000 }));
  const { rows } = await db.admin.query(`select product_id::int as p, id::int as q from rebate.queues where product_id = any($1) order by id`, [products]);
  return rows as Array<{ p: number; q: number }>;   // in queue id order
}
/** Runs fn while another transaction holds the given queue row. */
async function whileRowBusy<T>(queueId: number, fn: () => Promise<T>): Promise<T> {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`select 1 from rebate.queues where id = $1 for no key update`, [queueId]);
    return await fn();
  } finally {
    await c.query('rollback');
    c.release();
  }
}
/** Per queue, in queue order: entries paid strictly from the head (done ones first, at most one part-paid). */
async function expectPaidFromTheHead() {
  const byQueue = new Map<number, string[]>();
  for (const e of await entries(db)) {
    const state = e.status === 'completed' ? 'done' : e.received_fen > 0 ? 'part' : 'none';
    byQueue.set(e.queue_id, [...(byQueue.get(e.queue_id) ?? []), state]);
  }
  for (const states of byQueue.values()) expect(states.join(' ')).toMatch(/^(done ?)*(part ?)?(none ?)*$/);
}

test('an order in two queues waits for a busy second queue without being charged, behind it FIFO', async () => {
  const [lead, other] = await productQueues(2);
  const [m1, m2, m3] = await createMembers(db, 3);
  const x = await createOrder(db, m1, mallOrder([[lead.p, 1]]));
  const y = await createOrder(db, m2, mallOrder([[lead.p, 1], [other.p, 1]]));
  const z = await createOrder(db, m3, mallOrder([[lead.p, 1]]));
  await whileRowBusy(lead.q, async () => { for (const o of [x, y, z]) await accept(o); });
  const { rows: multi } = await db.admin.query(`select multi_queue from rebate.settle_inbox where queue_id = $1 order by id`, [lead.q]);
  expect(multi.map((r) => r.multi_queue)).toEqual([false, true, false]);

  // x settles; y's second queue is busy: the batch stops there (retry), y is not charged, z waits
  await whileRowBusy(other.q, async () => {
    expect(await settlePending(lead.q)).toEqual({ settled: 1, waiting: 2, retry: true });
  });
  expect(await inbox()).toEqual([
    { order_no: y.order_no, attempts: 0, last_error: '55P03 queue_busy' },
    { order_no: z.order_no, attempts: 0, last_error: null },
  ]);
  expect((await entries(db)).map((e) => e.order_no)).toEqual([x.order_no]);
  expect(await reconcile(db)).toEqual([]);

  // first in a new batch, y may wait for the other queue (it holds nothing else yet)
  let done = false;
  const { settling } = await whileRowBusy(other.q, async () => {
    const r = settlePending(lead.q).finally(() => { done = true; });
    await new Promise((res) => setTimeout(res, 300));
    return { settling: r, doneWhileBusy: done };   // (wrapped: returning r itself would wait for it)
  }).then((x) => { expect(x.doneWhileBusy).toBe(false); return x; });
  expect(await settling).toEqual({ settled: 2, waiting: 0, retry: false });
  const es = await entries(db);
  expect(es.map((e) => [e.queue_id, e.order_no, e.seq])).toEqual([
    [lead.q, x.order_no, 1], [lead.q, y.order_no, 2], [lead.q, z.order_no, 3], [other.q, y.order_no, 1]]);
  // ¥100 each, 30% extraction: y's first line and z each pay ¥30 to x, the head; y's second
  // line finds nobody ahead in the other queue (retained)
  expect(es.map((e) => e.received_fen)).toEqual([6000, 0, 0, 0]);
  expect((await retentions(db)).map((r) => [r.order_no, r.line_no, r.amount_fen])).toEqual([[x.order_no, 1, 3000], [y.order_no, 2, 3000]]);
  expect(await reconcile(db)).toEqual([]);
});

test('eight connections pay two-queue orders of three members: no deadlock, nothing charged, every order settled', async () => {
  const queues = await productQueues(4);
  const members = await createMembers(db, 3);
  const orders: Order[] = [];
  for (let i = 0; i < 96; i++) {
    const a = queues[i % 4].p;
    const b = queues[(i + 1 + (i % 3)) % 4].p;
    orders.push(await createOrder(db, members[i % 3], mallOrder([[a, 1], [b, 1]])));
  }
  await db.admin.query(`create table public.test_inbox_errors (error text)`);
  await db.admin.query(`create function public.test_log_inbox_error() returns trigger language plpgsql as $$
    begin insert into public.test_inbox_errors values (new.last_error); return new; end $$`);
  await db.admin.query(`create trigger test_log_inbox_error after update of last_error on rebate.settle_inbox
    for each row execute function public.test_log_inbox_error()`);

  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < orders.length) {
      const o = orders[next++];
      try {
        const r = await accept(o);
        // as pay-notify: settle, and again while the settler gave way
        for (let t = 0; r.settle_queue_id != null && t < 5; t++) if (!(await settlePending(r.settle_queue_id)).retry) break;
      } catch (e) { errors.push(e); }
    }
  }));
  expect(errors).toEqual([]);
  // what gave way was a busy queue or a wallet held a moment too long; never a deadlock, never charged
  const { rows: logged } = await db.admin.query(`select distinct left(error, 5) as code from public.test_inbox_errors`);
  for (const { code } of logged) expect(code).toBe('55P03');
  expect((await db.admin.query(`select count(*)::int as n from rebate.settle_inbox where attempts > 0`)).rows[0].n).toBe(0);
  // whatever gave way more than five times in a row is left to the sweep
  expect(await settlePending(null)).toMatchObject({ waiting: 0 });
  expect(await inbox()).toEqual([]);
  const { rows: [lines] } = await db.admin.query(`select count(*)::int as n, count(settled_at)::int as settled from rebate.order_lines`);
  expect(lines).toEqual({ n: 192, settled: 192 });
  await expectPaidFromTheHead();
  expect(await reconcile(db)).toEqual([]);
}, 120_000);

test('only the payment side may accept or settle', async () => {
  const { orders: [a] } = await fixture(1);
  const [member] = await createMembers(db, 1);
  for (const sql of [`select public.accept_payment('${a.order_no}', 'x1', ${a.pay_fen})`, 'select public.settle_pending()']) {
    await expect(db.call('authenticated', member, sql)).rejects.toMatchObject({ code: '42501' });
    await expect(db.call('anon', null, sql)).rejects.toMatchObject({ code: '42501' });
  }
  expect((await wallet(db, member)).cash_fen).toBe(0);
  expect(await reconcile(db)).toEqual([]);
});

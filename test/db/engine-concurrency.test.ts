// Concurrency: eight connections settling hundreds of orders into one queue at once (and
// into two queues whose members overlap, for the wallet lock order). Afterwards reconcile()
// is clean, FIFO holds, no entry is overpaid, no fen is paid twice, and the result equals the
// reference model run in the order the queue serialised the payments.
import { EngineModel } from '@/lib/engine-model';
import { createTestDb, TestDb } from '../helpers/db';
import {
  complete, createMembers, createOrder, createProduct, distributions, enableRebate, entries, mallOrder, reconcile,
  refund, retentions,
} from '../helpers/engine';

const WORKERS = 8;
const ORDERS = Number(process.env.ENGINE_CONCURRENCY_ORDERS ?? 400);

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await db.close(); });

/** Runs fn over the items with `workers` concurrent callers; returns the errors. */
async function concurrently<T>(workers: number, items: T[], fn: (item: T) => Promise<unknown>) {
  let next = 0;
  const errors: unknown[] = [];
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < items.length) {
      const item = items[next++];
      try { await fn(item); } catch (e) { errors.push(e); }
    }
  }));
  return errors;
}

const payAs = (o: { order_no: string; pay_fen: number }) =>
  db.call('service_role', null, `select public.mark_order_paid($1, $2, $3) as r`, [o.order_no, `pay-${o.order_no}`, o.pay_fen]);

function expectFifo(es: Array<{ seq: number; status: string; received_fen: number; entitlement_fen: number }>) {
  // entries in position order: a completed prefix, at most one partly paid head, then untouched entries
  const firstWaiting = es.findIndex((e) => e.status !== 'completed');
  const rest = firstWaiting < 0 ? [] : es.slice(firstWaiting);
  expect(rest.every((e) => e.status === 'waiting')).toBe(true);
  expect(rest.slice(1).every((e) => e.received_fen === 0)).toBe(true);
  expect(es.every((e) => e.received_fen <= e.entitlement_fen)).toBe(true);
}

test(`${WORKERS} connections pay ${ORDERS} orders into one queue: FIFO, no double payment, same as the model`, async () => {
  await enableRebate(db, { merchant_queue: true, default_reward_bps: 10000, extraction_bps: 3000 });
  const prices = [10000, 2500, 7300, 19900];
  const products: number[] = [];
  for (const priceFen of prices) products.push(await createProduct(db, { priceFen }));
  const members = await createMembers(db, 40);
  const orders = [];
  for (let i = 0; i < ORDERS; i++) {
    orders.push(await createOrder(db, members[i % members.length], mallOrder([[products[i % products.length], 1 + (i % 3)]])));
  }

  // every payment notification arrives twice, from different connections
  const deliveries = [...orders, ...orders].sort(() => Math.random() - 0.5);
  const errors = await concurrently(WORKERS, deliveries, payAs);
  expect(errors).toEqual([]);

  expect(await reconcile(db)).toEqual([]);
  const es = await entries(db);
  expect(es).toHaveLength(ORDERS);
  expect(es.map((e) => e.seq)).toEqual(Array.from({ length: ORDERS }, (_, i) => i + 1));
  expectFifo(es);
  const ds = await distributions(db);
  const totalPaid = ds.reduce((s, d) => s + d.amount_fen, 0);
  const totalReceived = es.reduce((s, e) => s + e.received_fen, 0);
  expect(totalPaid).toBe(totalReceived);
  // each payment counted once: the queue extracted exactly 30% of what was paid
  const { rows: [q] } = await db.admin.query(`select total_extracted_fen::float8 as ext from rebate.queues where scope = 'mall'`);
  const { rows: [sum] } = await db.admin.query(`select sum(extraction_fen)::float8 as ext, count(*)::int as n from rebate.order_lines where settled_at is not null`);
  expect(sum.n).toBe(ORDERS);
  expect(q.ext).toBe(sum.ext);

  // the queue serialised the payments in position order: the model, run in that order, agrees
  const model = new EngineModel({ enabled: true, merchantQueue: true, defaultRewardBps: 10000, extractionBps: 3000 });
  products.forEach((id, i) => model.addProduct({ id, kind: 'self', storeId: null, priceFen: prices[i], listed: true, rebateEnabled: true, rewardBps: null, extractionBps: null }));
  const bySeq = new Map(es.map((e) => [e.order_no, e.seq]));
  const inQueueOrder = [...orders].sort((a, b) => bySeq.get(a.order_no)! - bySeq.get(b.order_no)!);
  for (const o of inQueueOrder) {
    const i = orders.indexOf(o);
    model.createOrder(o.order_no, members[i % members.length], { channel: 'mall', lines: [{ productId: products[i % products.length], quantity: 1 + (i % 3) }] });
    model.pay(o.order_no);
  }
  expect(es.map((e) => [e.order_no, e.received_fen, e.status]))
    .toEqual(model.entries.map((e) => [e.orderHandle, e.receivedFen, e.status]));
  expect(ds.map((d) => [d.source_order_no, d.entry_order_no, d.amount_fen]))
    .toEqual(model.distributions.map((d) => [d.sourceOrder, d.entryOrder, d.amountFen]));
  expect((await retentions(db)).map((r) => [r.order_no, r.amount_fen]))
    .toEqual(model.retentions.map((r) => [r.orderHandle, r.amountFen]));
}, 300_000);

test('settlement at completion with concurrent completions and refunds: only entries ahead are paid, nothing twice', async () => {
  await enableRebate(db, { merchant_queue: true, settle_event: 'completed', extraction_bps: 2000 });
  const p = await createProduct(db, { priceFen: 10000 });
  const members = await createMembers(db, 20);
  const n = Math.max(100, Math.floor(ORDERS / 2));
  const orders = [];
  for (let i = 0; i < n; i++) orders.push(await createOrder(db, members[i % members.length], mallOrder([[p, 1]])));
  expect(await concurrently(WORKERS, orders, payAs)).toEqual([]);
  // complete most, refund some (before or after their completion), all at once
  const jobs = orders.flatMap((o, i) => (i % 7 === 3
    ? [() => refund(db, o.order_no, `rf-${o.order_no}`), () => complete(db, o.order_no).catch(() => undefined)]
    : [() => complete(db, o.order_no)]));
  jobs.sort(() => Math.random() - 0.5);
  expect(await concurrently(WORKERS, jobs, (job) => job())).toEqual([]);

  expect(await reconcile(db)).toEqual([]);
  const es = await entries(db);
  expect(es.every((e) => e.received_fen <= e.entitlement_fen)).toBe(true);
  const { rows: bad } = await db.admin.query(`
    select d.id from rebate.distributions d join rebate.order_lines l on l.id = d.source_line_id
      join rebate.entries e on e.id = d.entry_id where e.seq >= l.pay_below_seq`);
  expect(bad).toEqual([]);
  // every line settled at most once, and refunded-before-settlement lines never extracted
  const { rows: lines } = await db.admin.query(`
    select count(*) filter (where settled_at is not null and refunded_at is not null and cost_fen = 0 and distributed_fen > 0)::int as leaked,
           count(*) filter (where settled_at is null and refunded_at is null)::int as unsettled
      from rebate.order_lines`);
  expect(lines[0]).toEqual({ leaked: 0, unsettled: 0 });
}, 300_000);

test('two queues whose members overlap: wallets are locked in member order, no deadlock', async () => {
  await enableRebate(db, { merchant_queue: false, extraction_bps: 5000 });
  const p1 = await createProduct(db, { priceFen: 10000 });
  const p2 = await createProduct(db, { priceFen: 10000 });
  const members = await createMembers(db, 6);
  const orders = [];
  for (let i = 0; i < Math.max(120, ORDERS / 2); i++) {
    const lines: Array<[number, number]> = i % 2 === 0 ? [[p1, 1], [p2, 1]] : [[p2, 1], [p1, 1]];
    orders.push(await createOrder(db, members[i % members.length], mallOrder(lines)));
  }
  expect(await concurrently(WORKERS, orders, payAs)).toEqual([]);
  expect(await reconcile(db)).toEqual([]);
  const es = await entries(db);
  for (const key of [`product:${p1}#1`, `product:${p2}#1`]) expectFifo(es.filter((e) => e.queue_key === key));
}, 300_000);

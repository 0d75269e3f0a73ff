// Property: random sequences of orders, payments, completions, refunds, cancellations and
// settings changes, run through the TypeScript reference model (client/lib/engine-model.ts)
// and through the database, give identical entries, distributions, retained amounts, lines,
// orders and wallets; and reconcile() is clean after every run.
import fc from 'fast-check';
import { Channel, EngineModel, ModelError, ModelSettings, OrderInput } from '@/lib/engine-model';
import { createTestDb, TestDb } from '../helpers/db';
import {
  cancel, complete, createMembers, createOrder, createProduct, createStore, distributions, entries, grantBalance,
  pay, QUEUE_KEY_SQL, reconcile, refund, retentions, setSettings,
} from '../helpers/engine';

const RUNS = Number(process.env.ENGINE_PROPERTY_RUNS ?? 30);
const MEMBERS = 4;

const bps = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: null, freq: 2 });
const productArb = fc.record({ priceFen: fc.integer({ min: 1, max: 30000 }), rewardBps: bps(30000), extractionBps: bps(10000) });
const worldArb = fc.record({
  settings: fc.record({
    merchantQueue: fc.boolean(), allStoresQueue: fc.boolean(), allCashiersQueue: fc.boolean(),
    settleEvent: fc.constantFrom<'paid' | 'completed'>('paid', 'completed'),
    rewardRule: fc.constantFrom<'queue_order' | 'completed_queue_order'>('queue_order', 'completed_queue_order'),
    deductionParticipates: fc.boolean(),
    extractionBps: fc.constantFrom(1000, 2500, 3333, 6500, 10000),
    defaultRewardBps: fc.constantFrom(5000, 10000, 13000, 33333),
  }),
  mall: fc.array(fc.record({ kind: fc.constantFrom<'self' | 'supplier' | 'supply_chain'>('self', 'supplier', 'supply_chain'), p: productArb }), { minLength: 1, maxLength: 3 }),
  stores: fc.array(fc.record({
    rewardBps: bps(20000), extractionBps: bps(10000),
    cashier: fc.record({ rewardBps: bps(20000), extractionBps: bps(10000), rebateEnabled: fc.boolean() }),
    products: fc.array(productArb, { minLength: 1, maxLength: 2 }),
  }), { minLength: 1, maxLength: 2 }),
});

const settingArb = fc.oneof(
  fc.record({ key: fc.constant('paused' as const), value: fc.boolean() }),
  fc.record({ key: fc.constant('enabled' as const), value: fc.boolean() }),
  fc.record({ key: fc.constant('settleEvent' as const), value: fc.constantFrom('paid', 'completed') }),
  fc.record({ key: fc.constant('rewardRule' as const), value: fc.constantFrom('queue_order', 'completed_queue_order') }),
  fc.record({ key: fc.constant('deductionParticipates' as const), value: fc.boolean() }),
  fc.record({ key: fc.constant('merchantQueue' as const), value: fc.boolean() }),
  fc.record({ key: fc.constant('allStoresQueue' as const), value: fc.boolean() }),
  fc.record({ key: fc.constant('allCashiersQueue' as const), value: fc.boolean() }),
);

const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    t: fc.constant('create' as const), member: fc.nat(MEMBERS - 1),
    channel: fc.constantFrom<Channel>('mall', 'mall', 'store', 'cashier'),
    picks: fc.array(fc.record({ i: fc.nat(), q: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }),
    store: fc.nat(), amount: fc.integer({ min: 1, max: 30000 }),
    points: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 2500 })),
    love: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 2500 })),
  }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('pay' as const), o: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('complete' as const), o: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('refund' as const), o: fc.nat(), lines: fc.option(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }), { nil: null }), reuseRef: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), o: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('poke' as const), o: fc.nat(), what: fc.constantFrom('pay', 'complete', 'refund', 'cancel') }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('setting' as const), s: settingArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('product' as const), i: fc.nat(), rebate: fc.option(fc.boolean(), { nil: null }), listed: fc.option(fc.boolean(), { nil: null }) }) },
);

type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const SNAKE: Record<keyof ModelSettings, string> = {
  enabled: 'enabled', deductionParticipates: 'deduction_participates', settleEvent: 'settle_event', rewardRule: 'reward_rule',
  extractionBps: 'extraction_bps', defaultRewardBps: 'default_reward_bps', merchantQueue: 'merchant_queue',
  allStoresQueue: 'all_stores_queue', allCashiersQueue: 'all_cashiers_queue', paused: 'paused',
  levelRewardBps: 'level_reward_bps', lotteryMode: 'lottery_mode', lotteryOptions: 'lottery_options',
  lotteryMinBps: 'lottery_min_bps', lotteryMaxBps: 'lottery_max_bps', pointsExchangeBps: 'points_exchange_bps',
  loveExchangeBps: 'love_exchange_bps', loveExchangeFrozen: 'love_exchange_frozen', randomReturnEnabled: 'random_return_enabled',
  randomCashCount: 'random_cash_count', randomPointsCount: 'random_points_count',
};

function toSnake(patch: Partial<ModelSettings>) {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(patch)) out[SNAKE[k as keyof ModelSettings]] = v;
  return out;
}

/** Runs one action on both sides; they must agree on success, or fail with the same code. */
async function both<T>(label: string, model: () => T, database: () => Promise<unknown>): Promise<T | undefined> {
  let mErr: string | null = null;
  let mRes: T | undefined;
  try { mRes = model(); } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    mErr = e.code;
  }
  let dErr: string | null = null;
  try { await database(); } catch (e: any) {
    if (e?.code !== 'P0001') throw e;
    dErr = e.message;
  }
  expect({ label, error: dErr }).toEqual({ label, error: mErr });
  return mRes;
}

async function runScenario(world: World, ops: Op[]) {
  const db: TestDb = await createTestDb();
  try {
    const model = new EngineModel({ enabled: true, ...world.settings });
    await setSettings(db, toSnake({ enabled: true, ...world.settings }) as any);
    const members = await createMembers(db, MEMBERS);
    for (const m of members) {
      for (const asset of ['points', 'love'] as const) {
        await grantBalance(db, m, asset, 5000);
        model.grant(m, asset, 5000);
      }
    }
    const mallIds: number[] = [];
    for (const { kind, p } of world.mall) {
      const id = await createProduct(db, { kind, priceFen: p.priceFen, rewardBps: p.rewardBps, extractionBps: p.extractionBps });
      model.addProduct({ id, kind, storeId: null, priceFen: p.priceFen, listed: true, rebateEnabled: true, rewardBps: p.rewardBps, extractionBps: p.extractionBps });
      mallIds.push(id);
    }
    const stores: Array<{ storeId: number; products: number[] }> = [];
    for (const s of world.stores) {
      const { storeId, cashierId } = await createStore(db, { rewardBps: s.rewardBps, extractionBps: s.extractionBps, cashier: s.cashier });
      model.addStore({ id: storeId, approved: true, rebateEnabled: true, rewardBps: s.rewardBps, extractionBps: s.extractionBps,
        cashier: { id: cashierId as number, ...s.cashier } });
      const products: number[] = [];
      for (const p of s.products) {
        const id = await createProduct(db, { storeId, priceFen: p.priceFen, rewardBps: p.rewardBps, extractionBps: p.extractionBps });
        model.addProduct({ id, kind: 'store', storeId, priceFen: p.priceFen, listed: true, rebateEnabled: true, rewardBps: p.rewardBps, extractionBps: p.extractionBps });
        products.push(id);
      }
      stores.push({ storeId, products });
    }
    const allProducts = [...mallIds, ...stores.flatMap((s) => s.products)];

    const handles: string[] = [];                          // in creation order
    const orderNo = new Map<string, string>();             // handle → order_no
    const payFen = new Map<string, number>();
    const lastRef = new Map<string, string>();
    let refs = 0;
    const pick = (o: number, statuses: string[] | null) => {
      const c = handles.filter((h) => statuses === null || statuses.includes(model.order(h).status));
      return c.length === 0 ? null : c[o % c.length];
    };

    const doPay = (h: string) => both(`pay ${h}`, () => model.pay(h), () => pay(db, { order_no: orderNo.get(h)!, pay_fen: payFen.get(h)! }));
    const doComplete = (h: string) => both(`complete ${h}`, () => model.complete(h), () => complete(db, orderNo.get(h)!));
    const doCancel = (h: string) => both(`cancel ${h}`, () => model.cancel(h), () => cancel(db, orderNo.get(h)!));
    const doRefund = (h: string, lines: number[] | null, reuse: boolean) => {
      const ref = reuse && lastRef.has(h) ? lastRef.get(h)! : `rf-${++refs}`;
      lastRef.set(h, ref);
      return both(`refund ${h} ${ref} ${JSON.stringify(lines)}`, () => model.refund(h, ref, lines), () => refund(db, orderNo.get(h)!, ref, lines));
    };

    for (const op of ops) {
      switch (op.t) {
        case 'create': {
          const member = members[op.member];
          const store = stores[op.store % stores.length];
          const input: OrderInput = { channel: op.channel, pointsFen: op.points, loveFen: op.love };
          let body: Record<string, unknown>;
          if (op.channel === 'cashier') {
            input.storeId = store.storeId;
            input.amountFen = op.amount;
            body = { channel: 'cashier', store_id: store.storeId, amount_fen: op.amount };
          } else {
            const pool = op.channel === 'mall' ? mallIds : store.products;
            input.lines = op.picks.map((x) => ({ productId: pool[x.i % pool.length], quantity: x.q }));
            body = { channel: op.channel, lines: input.lines.map((l) => ({ product_id: l.productId, quantity: l.quantity })) };
          }
          body.points_fen = op.points;
          body.love_fen = op.love;
          const handle = `o${handles.length + 1}`;
          let created: any = null;
          await both(`create ${handle}`, () => model.createOrder(handle, member, input), async () => { created = await createOrder(db, member, body); });
          if (created) {
            handles.push(handle);
            orderNo.set(handle, created.order_no);
            payFen.set(handle, created.pay_fen);
            const mo = model.order(handle);
            expect(created.lines.map((l: any) => [l.amount_fen, l.points_deduct_fen, l.love_deduct_fen, l.pay_fen]))
              .toEqual(mo.lines.map((l) => [l.amountFen, l.pointsDeductFen, l.loveDeductFen, l.payFen]));
          }
          break;
        }
        case 'pay': { const h = pick(op.o, ['pending']); if (h) await doPay(h); break; }
        case 'complete': { const h = pick(op.o, ['paid']); if (h) await doComplete(h); break; }
        case 'refund': { const h = pick(op.o, ['paid', 'completed', 'refunded']); if (h) await doRefund(h, op.lines, op.reuseRef); break; }
        case 'cancel': { const h = pick(op.o, ['pending']); if (h) await doCancel(h); break; }
        case 'poke': {
          const h = pick(op.o, null);
          if (!h) break;
          if (op.what === 'pay') await doPay(h);
          else if (op.what === 'complete') await doComplete(h);
          else if (op.what === 'cancel') await doCancel(h);
          else await doRefund(h, null, false);
          break;
        }
        case 'setting': {
          const patch = { [op.s.key]: op.s.value } as Partial<ModelSettings>;
          model.setSettings(patch);
          await setSettings(db, toSnake(patch) as any);
          break;
        }
        case 'product': {
          const id = allProducts[op.i % allProducts.length];
          if (op.rebate !== null) {
            model.setProductRebate(id, op.rebate);
            await db.admin.query(`update rebate.products set rebate_enabled = $2 where id = $1`, [id, op.rebate]);
          }
          if (op.listed !== null) {
            model.setProductListed(id, op.listed);
            await db.admin.query(`update rebate.products set listed = $2 where id = $1`, [id, op.listed]);
          }
          break;
        }
      }
    }

    // ---- compare the whole state
    const handleOf = new Map([...orderNo.entries()].map(([h, no]) => [no, h]));
    const byQueueSeq = (a: { queue: string; seq: number }, b: { queue: string; seq: number }) =>
      (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : a.seq - b.seq);
    expect((await entries(db)).map((e) => ({
      order: handleOf.get(e.order_no), line: e.line_no, queue: e.queue_key, seq: e.seq, member: e.member_id,
      entitlement: e.entitlement_fen, received: e.received_fen, closed: e.closed_fen, status: e.status, completed: e.order_completed,
    })).sort(byQueueSeq)).toEqual(model.entries
      .map((e) => ({ order: e.orderHandle, line: e.lineNo, queue: e.queueKey, seq: e.seq, member: e.member,
        entitlement: e.entitlementFen, received: e.receivedFen, closed: e.closedFen, status: e.status, completed: e.orderCompleted }))
      .sort(byQueueSeq));

    expect((await distributions(db)).map((d) => [handleOf.get(d.source_order_no), d.source_line_no, handleOf.get(d.entry_order_no), d.member_id, d.amount_fen]))
      .toEqual(model.distributions.map((d) => [d.sourceOrder, d.sourceLineNo, d.entryOrder, d.member, d.amountFen]));
    expect((await retentions(db)).map((r) => [handleOf.get(r.order_no), r.line_no, r.amount_fen, r.reason]))
      .toEqual(model.retentions.map((r) => [r.orderHandle, r.lineNo, r.amountFen, r.reason]));

    const { rows: lines } = await db.admin.query(`
      select o.order_no, o.status, o.refunded_fen::float8 as refunded_fen, l.line_no::int, ${QUEUE_KEY_SQL} as queue_key,
             l.seq::int, l.pay_below_seq::int, l.no_entry_reason, l.reward_bps, l.reward_rule_code,
             l.entitlement_fen::float8 as ent, l.extraction_fen::float8 as ext, l.settled_at is not null as settled,
             l.distributed_fen::float8 as dist, l.retained_fen::float8 as ret, l.refunded_at is not null as refunded,
             l.refund_fen::float8 as refund, l.clawback_fen::float8 as claw, l.shortfall_fen::float8 as short, l.cost_fen::float8 as cost
        from rebate.order_lines l join rebate.orders o on o.id = l.order_id left join rebate.queues q on q.id = l.queue_id
       order by o.id, l.line_no`);
    expect(lines.map((l) => ({ ...l, order_no: handleOf.get(l.order_no) }))).toEqual(handles.flatMap((h) => {
      const o = model.order(h);
      return o.lines.map((l) => ({
        order_no: h, status: o.status, refunded_fen: o.refundedFen, line_no: l.lineNo, queue_key: l.queueKey, seq: l.seq,
        pay_below_seq: l.payBelowSeq, no_entry_reason: l.noEntryReason, reward_bps: l.rewardBps, reward_rule_code: l.ruleCode,
        ent: l.entitlementFen, ext: l.extractionFen, settled: l.settled, dist: l.distributedFen, ret: l.retainedFen,
        refunded: l.refunded, refund: l.refundFen, claw: l.clawbackFen, short: l.shortfallFen, cost: l.costFen,
      }));
    }));

    const { rows: wallets } = await db.admin.query(`
      select member_id, cash_fen::float8 as cash, points::float8 as points, love_fen::float8 as love
        from rebate.wallets where member_id = any ($1) order by member_id`, [members]);
    expect(wallets).toEqual([...members].sort().map((m) => {
      const w = model.wallet(m);
      return { member_id: m, cash: w.cashFen, points: w.points, love: w.loveFen };
    }));

    const { rows: queues } = await db.admin.query(`
      select ${QUEUE_KEY_SQL} as key, q.total_extracted_fen::float8 as ext, q.total_distributed_fen::float8 as dist,
             q.total_retained_fen::float8 as ret, q.next_seq::int
        from rebate.queues q where q.total_extracted_fen > 0 or q.next_seq > 1 order by 1`);
    expect(queues).toEqual([...model.queues.values()]
      .filter((q) => q.extractedFen > 0 || q.nextSeq > 1)
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((q) => ({ key: q.key, ext: q.extractedFen, dist: q.distributedFen, ret: q.retainedFen, next_seq: q.nextSeq })));

    expect(await reconcile(db)).toEqual([]);
  } finally {
    await db.close();
  }
}

test('the database settles exactly like the reference model, and reconcile() stays clean', async () => {
  await fc.assert(
    fc.asyncProperty(worldArb, fc.array(opArb, { minLength: 5, maxLength: 45 }), runScenario),
    { numRuns: RUNS, endOnFailure: true },
  );
}, 600_000);

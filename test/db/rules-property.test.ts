// Property: random worlds of entitlement rules (member levels, level ratios, tiers, lotteries,
// reward windows, limits, random return with overrides, exchange ratios) and random sequences
// of orders, payments, completions, refunds, draws, exchanges, points transfers, clearings and
// level / rule changes, run through the reference model (client/lib/engine-model.ts) and the
// database, give identical entries (ratio, rule, status, amounts), lines, distributions,
// retentions, wallets and random-return groups; reconcile() is clean after every run.
// What the server decides at random (drawn ratios, which joins convert) is read from the
// database and handed to the model, which checks every such decision is one the rules allow.
import fc from 'fast-check';
import {
  Channel, EngineModel, LotteryOption, ModelError, ModelSettings, OrderInput, RandomOverride, RewardWindow, RuleFields, Tier,
} from '@/lib/engine-model';
import { createTestDb, TestDb } from '../helpers/db';
import {
  callNum, cancel, complete, createMembers, createOrder, createProduct, createStore, distributions, entries, grantBalance,
  pay, QUEUE_KEY_SQL, reconcile, refund, retentions,
} from '../helpers/engine';
import { createLevels, memberCode, setMemberLevel, setPlugin, setRule } from '../helpers/rules';

const RUNS = Number(process.env.RULES_PROPERTY_RUNS ?? 15);
const MEMBERS = 4;
const NOW = Date.now();

// ---- arbitraries: independent settings
const levelsArb = fc.oneof(
  fc.constant({}),
  fc.record({ 1: fc.integer({ min: 0, max: 30000 }) }),
  fc.record({ 0: fc.integer({ min: 0, max: 30000 }), 2: fc.integer({ min: 1, max: 30000 }) }),
);
const tiersArb: fc.Arbitrary<Tier[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Tier[]>([]) },
  { weight: 1, arbitrary: fc.array(fc.record({ days: fc.constantFrom(1, 30), minFen: fc.integer({ min: 1, max: 20000 }), bps: fc.integer({ min: 0, max: 30000 }) }), { minLength: 1, maxLength: 3 }) },
);
const optionsArb: fc.Arbitrary<LotteryOption[]> = fc.array(fc.record({ bps: fc.integer({ min: 1, max: 30000 }), weight: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 3 });
const lotteryArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ lotteryMode: 'off' as const }) },
  { weight: 1, arbitrary: fc.record({ lotteryMode: fc.constant('fixed' as const), lotteryOptions: optionsArb }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 30000 }).chain((a) => fc.integer({ min: a, max: a + 5000 })
    .map((b) => ({ lotteryMode: 'interval' as const, lotteryMinBps: a, lotteryMaxBps: b }))) },
);
const windowsArb: fc.Arbitrary<RewardWindow[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<RewardWindow[]>([]) },
  { weight: 1, arbitrary: fc.constant<RewardWindow[]>([{ start: '00:00', end: '24:00' }]) },
  { weight: 1, arbitrary: fc.constant<RewardWindow[]>([{ from: '2000-01-01T00:00:00+08:00', to: '2000-01-02T00:00:00+08:00' }]) },
  { weight: 1, arbitrary: fc.constant<RewardWindow[]>([{ from: new Date(NOW - 86400e3).toISOString(), to: new Date(NOW + 86400e3).toISOString() }]) },
);
const limitArb = fc.option(fc.integer({ min: 0, max: 3 }), { nil: null, freq: 3 });
const ruleArb: fc.Arbitrary<RuleFields> = fc.record({
  levelRewardBps: levelsArb, tiers: tiersArb, rewardWindows: windowsArb, dailyLimit: limitArb, totalLimit: limitArb,
}).chain((r) => lotteryArb.map((l) => ({ ...r, ...l })));
const randomArb: fc.Arbitrary<RandomOverride> = fc.record({
  mode: fc.constantFrom<'inherit' | 'on' | 'off'>('inherit', 'inherit', 'on', 'off'),
  cashCount: fc.integer({ min: 0, max: 2 }), pointsCount: fc.integer({ min: 0, max: 2 }),
}).map((r) => (r.cashCount + r.pointsCount === 0 ? { ...r, cashCount: 1 } : r));
const bps = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: null, freq: 2 });
const productArb = fc.record({ priceFen: fc.integer({ min: 1, max: 30000 }), rewardBps: bps(30000), extractionBps: bps(10000), rule: ruleArb });

const worldArb = fc.record({
  settings: fc.record({
    merchantQueue: fc.boolean(), allStoresQueue: fc.boolean(), allCashiersQueue: fc.boolean(),
    settleEvent: fc.constantFrom<'paid' | 'completed'>('paid', 'completed'),
    rewardRule: fc.constantFrom<'queue_order' | 'completed_queue_order'>('queue_order', 'completed_queue_order'),
    deductionParticipates: fc.boolean(),
    extractionBps: fc.constantFrom(1000, 2500, 6500, 10000),
    defaultRewardBps: fc.constantFrom(5000, 10000, 13000),
    levelRewardBps: levelsArb,
    pointsExchangeBps: fc.constantFrom(0, 5000, 10000, 15000),
    loveExchangeBps: fc.constantFrom(0, 3333, 10000),
    loveExchangeFrozen: fc.boolean(),
    randomReturnEnabled: fc.boolean(),
    randomCashCount: fc.integer({ min: 0, max: 2 }),
    randomPointsCount: fc.integer({ min: 0, max: 2 }),
  }).map((s) => (s.randomCashCount + s.randomPointsCount === 0 ? { ...s, randomCashCount: 1 } : s))
    .chain((s) => lotteryArb.map((l) => ({ ...s, lotteryMode: l.lotteryMode, lotteryOptions: 'lotteryOptions' in l ? l.lotteryOptions : [],
      lotteryMinBps: 'lotteryMinBps' in l ? l.lotteryMinBps : 1000, lotteryMaxBps: 'lotteryMaxBps' in l ? l.lotteryMaxBps : 10000 }))),
  levels: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: MEMBERS, maxLength: MEMBERS }),
  mall: fc.array(fc.record({ kind: fc.constantFrom<'self' | 'supplier' | 'supply_chain'>('self', 'supplier', 'supply_chain'), p: productArb }), { minLength: 1, maxLength: 3 }),
  stores: fc.array(fc.record({
    rewardBps: bps(20000), extractionBps: bps(10000), rule: ruleArb, random: randomArb,
    cashier: fc.record({ rewardBps: bps(20000), extractionBps: bps(10000), rule: ruleArb, random: randomArb }),
    products: fc.array(productArb, { minLength: 1, maxLength: 2 }),
  }), { minLength: 1, maxLength: 2 }),
});

const opArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    t: fc.constant('create' as const), member: fc.nat(MEMBERS - 1),
    channel: fc.constantFrom<Channel>('mall', 'mall', 'store', 'cashier'),
    picks: fc.array(fc.record({ i: fc.nat(), q: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 3 }),
    store: fc.nat(), amount: fc.integer({ min: 1, max: 30000 }),
    points: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 2500 })),
  }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('pay' as const), o: fc.nat() }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('complete' as const), o: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('refund' as const), o: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('cancel' as const), o: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('draw' as const), e: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('exchange' as const), e: fc.nat(), target: fc.constantFrom<'points' | 'love'>('points', 'love') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('transfer' as const), from: fc.nat(MEMBERS - 1), to: fc.nat(MEMBERS - 1), points: fc.integer({ min: 0, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clear' as const) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('level' as const), member: fc.nat(MEMBERS - 1), level: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rule' as const), i: fc.nat(), limit: limitArb, lottery: lotteryArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('random' as const), enabled: fc.boolean(), cash: fc.integer({ min: 0, max: 2 }), points: fc.integer({ min: 1, max: 2 }) }) },
);

type World = typeof worldArb extends fc.Arbitrary<infer T> ? T : never;
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

const PLUGIN_SNAKE: Partial<Record<keyof ModelSettings, string>> = {
  enabled: 'enabled', deductionParticipates: 'deduction_participates', settleEvent: 'settle_event', rewardRule: 'reward_rule',
  extractionBps: 'extraction_bps', defaultRewardBps: 'default_reward_bps', merchantQueue: 'merchant_queue',
  allStoresQueue: 'all_stores_queue', allCashiersQueue: 'all_cashiers_queue', paused: 'paused',
  levelRewardBps: 'level_reward_bps', lotteryMode: 'lottery_mode', lotteryOptions: 'lottery_options',
  lotteryMinBps: 'lottery_min_bps', lotteryMaxBps: 'lottery_max_bps', pointsExchangeBps: 'points_exchange_bps',
  loveExchangeBps: 'love_exchange_bps', loveExchangeFrozen: 'love_exchange_frozen', randomReturnEnabled: 'random_return_enabled',
  randomCashCount: 'random_cash_count', randomPointsCount: 'random_points_count',
};
const pluginPatch = (patch: Partial<ModelSettings>) =>
  Object.fromEntries(Object.entries(patch).map(([k, v]) => [PLUGIN_SNAKE[k as keyof ModelSettings] as string, v]));

/** The database columns of a rule patch. */
function rulePatch(r: Partial<RuleFields> & { random?: RandomOverride }) {
  const out: Record<string, unknown> = {};
  if (r.levelRewardBps !== undefined) out.level_reward_bps = r.levelRewardBps;
  if (r.tiers !== undefined) out.tiers = r.tiers.map((t) => ({ days: t.days, min_fen: t.minFen, bps: t.bps }));
  if (r.lotteryMode !== undefined) out.lottery_mode = r.lotteryMode;
  if (r.lotteryOptions !== undefined) out.lottery_options = r.lotteryOptions;
  if (r.lotteryMinBps !== undefined) out.lottery_min_bps = r.lotteryMinBps;
  if (r.lotteryMaxBps !== undefined) out.lottery_max_bps = r.lotteryMaxBps;
  if (r.rewardWindows !== undefined) out.reward_windows = r.rewardWindows;
  if (r.dailyLimit !== undefined) out.daily_limit = r.dailyLimit;
  if (r.totalLimit !== undefined) out.total_limit = r.totalLimit;
  if (r.random !== undefined) {
    out.random_return = r.random.mode;
    out.random_cash_count = r.random.cashCount;
    out.random_points_count = r.random.pointsCount;
  }
  return out;
}

/** Runs the database side first, then the model (which may need what the database decided); same outcome. */
async function both<T>(label: string, database: () => Promise<T>, model: (db: T | undefined) => unknown): Promise<T | undefined> {
  let dErr: string | null = null;
  let dRes: T | undefined;
  try { dRes = await database(); } catch (e: any) {
    if (e?.code !== 'P0001') throw e;
    dErr = e.message;
  }
  let mErr: string | null = null;
  try { model(dRes); } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    mErr = e.code;
  }
  expect({ label, error: dErr }).toEqual({ label, error: mErr });
  return dRes;
}

async function runScenario(world: World, ops: Op[]) {
  const db: TestDb = await createTestDb();
  try {
    const model = new EngineModel({ enabled: true, ...world.settings });
    await createLevels(db, [[1, '白银', 10], [2, '黄金', 20]]);
    await setPlugin(db, { ...pluginPatch({ enabled: true, ...world.settings }), clearing_enabled: true, clearing_since: '2000-01-01T00:00:00Z' });
    const members = await createMembers(db, MEMBERS);
    const codes: string[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const m = members[i];
      codes.push(await memberCode(db, m));
      await grantBalance(db, m, 'points', 5000);
      model.grant(m, 'points', 5000);
      await setMemberLevel(db, m, world.levels[i]);
      model.setMemberLevel(m, world.levels[i]);
    }
    const mallIds: number[] = [];
    const ruleTargets: Array<{ target: 'product' | 'store' | 'cashier'; id: number }> = [];
    for (const { kind, p } of world.mall) {
      const id = await createProduct(db, { kind, priceFen: p.priceFen, rewardBps: p.rewardBps, extractionBps: p.extractionBps });
      await setRule(db, 'product', id, rulePatch(p.rule));
      model.addProduct({ id, kind, storeId: null, priceFen: p.priceFen, listed: true, rebateEnabled: true, rewardBps: p.rewardBps, extractionBps: p.extractionBps, ...p.rule });
      mallIds.push(id);
      ruleTargets.push({ target: 'product', id });
    }
    const stores: Array<{ storeId: number; products: number[] }> = [];
    for (const s of world.stores) {
      const { storeId, cashierId } = await createStore(db, { rewardBps: s.rewardBps, extractionBps: s.extractionBps,
        cashier: { rewardBps: s.cashier.rewardBps, extractionBps: s.cashier.extractionBps } });
      await setRule(db, 'store', storeId, rulePatch({ ...s.rule, random: s.random }));
      await setRule(db, 'cashier', cashierId as number, rulePatch({ ...s.cashier.rule, random: s.cashier.random }));
      model.addStore({ id: storeId, approved: true, rebateEnabled: true, rewardBps: s.rewardBps, extractionBps: s.extractionBps, ...s.rule, random: s.random,
        cashier: { id: cashierId as number, rebateEnabled: true, rewardBps: s.cashier.rewardBps, extractionBps: s.cashier.extractionBps, ...s.cashier.rule, random: s.cashier.random } });
      ruleTargets.push({ target: 'store', id: storeId }, { target: 'cashier', id: cashierId as number });
      const products: number[] = [];
      for (const p of s.products) {
        const id = await createProduct(db, { storeId, priceFen: p.priceFen, rewardBps: p.rewardBps, extractionBps: p.extractionBps });
        await setRule(db, 'product', id, rulePatch(p.rule));
        model.addProduct({ id, kind: 'store', storeId, priceFen: p.priceFen, listed: true, rebateEnabled: true, rewardBps: p.rewardBps, extractionBps: p.extractionBps, ...p.rule });
        products.push(id);
        ruleTargets.push({ target: 'product', id });
      }
      stores.push({ storeId, products });
    }

    const handles: string[] = [];
    const orderNo = new Map<string, string>();
    const payFen = new Map<string, number>();
    let refs = 0;
    let clearings = 0;
    const pick = (o: number, statuses: string[]) => {
      const c = handles.filter((h) => statuses.includes(model.order(h).status));
      return c.length === 0 ? null : c[o % c.length];
    };
    const entryId = async (h: string, lineNo: number) => {
      const { rows } = await db.admin.query(`select e.id::int from rebate.entries e join rebate.order_lines l on l.id = e.line_id
        join rebate.orders o on o.id = l.order_id where o.order_no = $1 and l.line_no = $2`, [orderNo.get(h), lineNo]);
      return rows[0].id as number;
    };

    for (const op of ops) {
      switch (op.t) {
        case 'create': {
          const member = members[op.member];
          const store = stores[op.store % stores.length];
          const input: OrderInput = { channel: op.channel, pointsFen: op.points };
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
          const handle = `o${handles.length + 1}`;
          const created = await both(`create ${handle}`, () => createOrder(db, member, body), () => model.createOrder(handle, member, input));
          if (created) {
            handles.push(handle);
            orderNo.set(handle, created.order_no);
            payFen.set(handle, created.pay_fen);
          }
          break;
        }
        case 'pay': {
          const h = pick(op.o, ['pending']);
          if (!h) break;
          await both(`pay ${h}`, async () => {
            await pay(db, { order_no: orderNo.get(h)!, pay_fen: payFen.get(h)! });
            const { rows } = await db.admin.query(`select l.line_no from rebate.random_returns r join rebate.entries e on e.id = r.entry_id
              join rebate.order_lines l on l.id = e.line_id join rebate.orders o on o.id = l.order_id where o.order_no = $1`, [orderNo.get(h)]);
            return new Set(rows.map((r) => r.line_no as number));
          }, (converted) => model.pay(h, (e) => (converted ?? new Set()).has(e.lineNo)));
          break;
        }
        case 'complete': { const h = pick(op.o, ['paid']); if (h) await both(`complete ${h}`, () => complete(db, orderNo.get(h)!), () => model.complete(h)); break; }
        case 'refund': {
          const h = pick(op.o, ['paid', 'completed']);
          if (h) { const ref = `rf-${++refs}`; await both(`refund ${h}`, () => refund(db, orderNo.get(h)!, ref), () => model.refund(h, ref)); }
          break;
        }
        case 'cancel': { const h = pick(op.o, ['pending']); if (h) await both(`cancel ${h}`, () => cancel(db, orderNo.get(h)!), () => model.cancel(h)); break; }
        case 'draw': {
          if (model.entries.length === 0) break;
          const e = model.entries[op.e % model.entries.length];
          const id = await entryId(e.orderHandle, e.lineNo);
          await both(`draw ${e.orderHandle}/${e.lineNo}`, async () => {
            const [{ r }] = await callNum(db, 'authenticated', e.member, `select to_jsonb(public.draw_lottery($1)) as r`, [id]);
            return r;
          }, (r) => {
            const out = model.draw(e.orderHandle, e.lineNo, r ? r.drawn_bps : -1);
            if (r) expect([r.previous_bps, r.entitlement_fen]).toEqual([out.previousBps, out.entitlementFen]);
          });
          break;
        }
        case 'exchange': {
          if (model.entries.length === 0) break;
          const e = model.entries[op.e % model.entries.length];
          const id = await entryId(e.orderHandle, e.lineNo);
          await both(`exchange ${e.orderHandle}/${e.lineNo} ${op.target}`, async () => {
            const [{ p }] = await callNum(db, 'authenticated', e.member, `select to_jsonb(public.preview_exchange($1, $2)) as p`, [id, op.target]);
            const [{ r }] = await callNum(db, 'authenticated', e.member, `select to_jsonb(public.exchange_entry($1, $2)) as r`, [id, op.target]);
            expect(r).toMatchObject(p);
            return r;
          }, (r) => {
            const t = model.exchange(e.orderHandle, e.lineNo, op.target);
            if (r) expect([r.remaining_fen, r.ratio_bps, r.amount, r.asset]).toEqual([t.remainingFen, t.ratioBps, t.amount, t.asset]);
          });
          break;
        }
        case 'transfer': {
          await both(`transfer ${op.from}→${op.to} ${op.points}`,
            () => callNum(db, 'authenticated', members[op.from], `select to_jsonb(public.transfer_points($1, $2))`, [codes[op.to], op.points]),
            () => model.transferPoints(members[op.from], members[op.to], op.points));
          break;
        }
        case 'clear': {
          clearings += 1;
          const at = new Date(Date.UTC(2099, 0, clearings, 4)).toISOString();     // noon in Shanghai, a new day each time
          const [{ r }] = await callNum(db, 'service_role', null, `select public.clear_queues($1::timestamptz) as r`, [at]);
          const m = model.clear();
          expect([r.ran, r.cleared_count, Number(r.forfeited_fen)]).toEqual([true, m.clearedCount, m.forfeitedFen]);
          break;
        }
        case 'level': {
          await setMemberLevel(db, members[op.member], op.level);
          model.setMemberLevel(members[op.member], op.level);
          break;
        }
        case 'rule': {
          const t = ruleTargets[op.i % ruleTargets.length];
          const patch: Partial<RuleFields> = { dailyLimit: op.limit, ...op.lottery };
          await setRule(db, t.target, t.id, rulePatch(patch));
          await db.admin.query(`select rebate.refresh_limit_counts($1, $2)`, [t.target, t.id]);
          model.setRule(t.target, t.id, patch);
          break;
        }
        case 'random': {
          const patch = { randomReturnEnabled: op.enabled, randomCashCount: op.cash, randomPointsCount: op.points };
          await setPlugin(db, pluginPatch(patch));
          model.setSettings(patch);
          break;
        }
      }
    }

    // ---- compare the whole state
    const handleOf = new Map([...orderNo.entries()].map(([h, no]) => [no, h]));
    const byQueueSeq = (a: { queue: string; seq: number }, b: { queue: string; seq: number }) =>
      (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : a.seq - b.seq);
    expect((await entries(db)).map((e) => ({
      order: handleOf.get(e.order_no), line: e.line_no, queue: e.queue_key, seq: e.seq, member: e.member_id, bps: e.reward_bps,
      rule: e.rule_code, entitlement: e.entitlement_fen, received: e.received_fen, closed: e.closed_fen, status: e.status,
    })).sort(byQueueSeq)).toEqual(model.entries.map((e) => ({
      order: e.orderHandle, line: e.lineNo, queue: e.queueKey, seq: e.seq, member: e.member, bps: e.rewardBps,
      rule: e.ruleCode, entitlement: e.entitlementFen, received: e.receivedFen, closed: e.closedFen, status: e.status,
    })).sort(byQueueSeq));

    expect((await distributions(db)).map((d) => [handleOf.get(d.source_order_no), d.source_line_no, handleOf.get(d.entry_order_no), d.amount_fen]))
      .toEqual(model.distributions.map((d) => [d.sourceOrder, d.sourceLineNo, d.entryOrder, d.amountFen]));
    expect((await retentions(db)).map((r) => [handleOf.get(r.order_no), r.line_no, r.amount_fen, r.reason]))
      .toEqual(model.retentions.map((r) => [r.orderHandle, r.lineNo, r.amountFen, r.reason]));

    const { rows: lines } = await db.admin.query(`
      select o.order_no, l.line_no::int, l.no_entry_reason, l.reward_bps, l.reward_rule_code,
             l.entitlement_fen::float8 as ent, l.extraction_fen::float8 as ext, l.distributed_fen::float8 as dist
        from rebate.order_lines l join rebate.orders o on o.id = l.order_id order by o.id, l.line_no`);
    expect(lines.map((l) => ({ ...l, order_no: handleOf.get(l.order_no) }))).toEqual(handles.flatMap((h) =>
      model.order(h).lines.map((l) => ({ order_no: h, line_no: l.lineNo, no_entry_reason: l.noEntryReason, reward_bps: l.rewardBps,
        reward_rule_code: l.ruleCode, ent: l.entitlementFen, ext: l.extractionFen, dist: l.distributedFen }))));

    const { rows: wallets } = await db.admin.query(`
      select member_id, cash_fen::float8 as cash, points::float8 as points, love_fen::float8 as love, love_frozen_fen::float8 as frozen
        from rebate.wallets where member_id = any ($1) order by member_id`, [members]);
    expect(wallets).toEqual([...members].sort().map((m) => {
      const w = model.wallet(m);
      return { member_id: m, cash: w.cashFen, points: w.points, love: w.loveFen, frozen: w.loveFrozenFen };
    }));

    const { rows: groups } = await db.admin.query(`
      select ${QUEUE_KEY_SQL} as queue, g.group_no, g.group_size, g.points_count, g.joined, g.converted, g.end_reason
        from rebate.random_return_groups g join rebate.queues q on q.id = g.queue_id order by 1, 2`);
    expect(groups).toEqual([...model.randomGroups]
      .sort((a, b) => (a.queueKey < b.queueKey ? -1 : a.queueKey > b.queueKey ? 1 : a.groupNo - b.groupNo))
      .map((g) => ({ queue: g.queueKey, group_no: g.groupNo, group_size: g.size, points_count: g.pointsCount, joined: g.joined,
        converted: g.converted, end_reason: g.endReason })));

    expect(await reconcile(db)).toEqual([]);
  } finally {
    await db.close();
  }
}

test('the database applies the entitlement rules exactly like the reference model, and reconcile() stays clean', async () => {
  await fc.assert(
    fc.asyncProperty(worldArb, fc.array(opArb, { minLength: 5, maxLength: 45 }), runScenario),
    { numRuns: RUNS, endOnFailure: true },
  );
}, 600_000);

// SPEC §4: the three priority chains of the reward ratio, every link in turn; member levels
// at order time; cumulative-spend tiers (the SPEC example, windows, completed orders only,
// refunds); the rule recorded on each entry; the extraction ratio's most specific setting.
import { createTestDb, TestDb } from '../helpers/db';
import {
  complete, createMembers, createOrder, createProduct, createStore, enableRebate, expectHealthy, mallOrder, pay, refund,
} from '../helpers/engine';
import { createLevels, lineTerms, setMemberLevel, setPlugin, setRule, Target } from '../helpers/rules';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await expectHealthy(db); await db.close(); });

const LOTTERY = { lottery_mode: 'fixed', lottery_options: [{ bps: 5000, weight: 1 }] };

interface Link { rule: string; bps: number; unset: () => Promise<void> }

/** Pays a fresh order after each link is unset in turn: each order gets the next link's ratio and rule. */
async function walk(order: () => Promise<{ order_no: string }>, links: Link[]) {
  const seen: Array<[string, number]> = [];
  for (const link of links) {
    const o = await order();
    const t = await lineTerms(db, o.order_no);
    seen.push([t.rule, t.reward_bps]);
    await link.unset();
  }
  expect(seen).toEqual(links.map((l) => [l.rule, l.bps]));
}

describe('the priority chains (SPEC §4): each link applies when every link above it is unset', () => {
  test('(1) mall / product queue', async () => {
    await enableRebate(db, { default_reward_bps: 1700 });
    await createLevels(db, [[1, '黄金会员', 10]]);
    const p = await createProduct(db, { priceFen: 10000 });
    const [m] = await createMembers(db, 1);
    await setMemberLevel(db, m, 1);
    // a completed mall order: the member meets any mall tier
    const first = await createOrder(db, m, mallOrder([[p, 1]]));
    await pay(db, first);
    await complete(db, first.order_no);

    await setRule(db, 'product', p, { level_reward_bps: { 1: 1100 }, tiers: [{ days: 30, min_fen: 10000, bps: 1300 }],
      reward_bps: 1600, ...LOTTERY });
    await setPlugin(db, { level_reward_bps: { 1: 1200 }, lottery_mode: 'interval', lottery_min_bps: 100, lottery_max_bps: 200 });
    await walk(async () => { const o = await createOrder(db, m, mallOrder([[p, 1]])); await pay(db, o); return o; }, [
      { rule: 'product_level', bps: 1100, unset: () => setRule(db, 'product', p, { level_reward_bps: {} }) },
      { rule: 'plugin_level', bps: 1200, unset: () => setPlugin(db, { level_reward_bps: {} }) },
      { rule: 'product_tier', bps: 1300, unset: () => setRule(db, 'product', p, { tiers: [] }) },
      { rule: 'product_lottery', bps: 1600, unset: () => setRule(db, 'product', p, { lottery_mode: 'off' }) },
      { rule: 'plugin_lottery', bps: 1600, unset: () => setPlugin(db, { lottery_mode: 'off' }) },
      { rule: 'product_ratio', bps: 1600, unset: () => setRule(db, 'product', p, { reward_bps: null }) },
      { rule: 'plugin_default', bps: 1700, unset: async () => {} },
    ]);
  });

  test('(2) cashier queue', async () => {
    await enableRebate(db, { default_reward_bps: 1700 });
    await createLevels(db, [[1, '黄金会员', 10]]);
    const { storeId, cashierId } = await createStore(db);
    const online = await createProduct(db, { storeId, priceFen: 3000 });
    const [m] = await createMembers(db, 1);
    await setMemberLevel(db, m, 1);
    // the store's online orders count towards its cashier tiers
    const first = await createOrder(db, m, { channel: 'store', lines: [{ product_id: online, quantity: 1 }] });
    await pay(db, first);
    await complete(db, first.order_no);

    const c = cashierId as number;
    await setRule(db, 'cashier', c, { level_reward_bps: { 1: 1100 }, tiers: [{ days: 1, min_fen: 3000, bps: 1300 }],
      reward_bps: 1600, ...LOTTERY });
    await setPlugin(db, { level_reward_bps: { 1: 1200 }, ...LOTTERY });
    await walk(async () => {
      const o = await createOrder(db, m, { channel: 'cashier', store_id: storeId, amount_fen: 10000 });
      await pay(db, o);
      return o;
    }, [
      { rule: 'cashier_level', bps: 1100, unset: () => setRule(db, 'cashier', c, { level_reward_bps: {} }) },
      { rule: 'plugin_level', bps: 1200, unset: () => setPlugin(db, { level_reward_bps: {} }) },
      { rule: 'cashier_tier', bps: 1300, unset: () => setRule(db, 'cashier', c, { tiers: [] }) },
      { rule: 'cashier_lottery', bps: 1600, unset: () => setRule(db, 'cashier', c, { lottery_mode: 'off' }) },
      { rule: 'plugin_lottery', bps: 1600, unset: () => setPlugin(db, { lottery_mode: 'off' }) },
      { rule: 'cashier_ratio', bps: 1600, unset: () => setRule(db, 'cashier', c, { reward_bps: null }) },
      { rule: 'plugin_default', bps: 1700, unset: async () => {} },
    ]);
  });

  test('(3) store online products', async () => {
    await enableRebate(db, { default_reward_bps: 1900 });
    await createLevels(db, [[1, '黄金会员', 10]]);
    const { storeId } = await createStore(db);
    const p = await createProduct(db, { storeId, priceFen: 10000 });
    const [m] = await createMembers(db, 1);
    await setMemberLevel(db, m, 1);
    // the store's cashier payments count towards its store-product and store tiers
    const first = await createOrder(db, m, { channel: 'cashier', store_id: storeId, amount_fen: 5000 });
    await pay(db, first);
    await complete(db, first.order_no);

    await setRule(db, 'product', p, { level_reward_bps: { 1: 1100 }, tiers: [{ days: 7, min_fen: 5000, bps: 1400 }],
      reward_bps: 1700, ...LOTTERY });
    await setRule(db, 'store', storeId, { level_reward_bps: { 1: 1200 }, tiers: [{ days: 7, min_fen: 5000, bps: 1500 }],
      reward_bps: 1800, ...LOTTERY });
    await setPlugin(db, { level_reward_bps: { 1: 1300 }, ...LOTTERY });
    await walk(async () => {
      const o = await createOrder(db, m, { channel: 'store', lines: [{ product_id: p, quantity: 1 }] });
      await pay(db, o);
      return o;
    }, [
      { rule: 'store_product_level', bps: 1100, unset: () => setRule(db, 'product', p, { level_reward_bps: {} }) },
      { rule: 'store_level', bps: 1200, unset: () => setRule(db, 'store', storeId, { level_reward_bps: {} }) },
      { rule: 'plugin_level', bps: 1300, unset: () => setPlugin(db, { level_reward_bps: {} }) },
      { rule: 'store_product_tier', bps: 1400, unset: () => setRule(db, 'product', p, { tiers: [] }) },
      { rule: 'store_tier', bps: 1500, unset: () => setRule(db, 'store', storeId, { tiers: [] }) },
      { rule: 'store_product_lottery', bps: 1700, unset: () => setRule(db, 'product', p, { lottery_mode: 'off' }) },
      { rule: 'store_lottery', bps: 1700, unset: () => setRule(db, 'store', storeId, { lottery_mode: 'off' }) },
      { rule: 'plugin_lottery', bps: 1700, unset: () => setPlugin(db, { lottery_mode: 'off' }) },
      { rule: 'store_product_ratio', bps: 1700, unset: () => setRule(db, 'product', p, { reward_bps: null }) },
      { rule: 'store_ratio', bps: 1800, unset: () => setRule(db, 'store', storeId, { reward_bps: null }) },
      { rule: 'plugin_default', bps: 1900, unset: async () => {} },
    ]);
  });

  test('a lottery rule gives the fallback ratio: the first independent/default ratio further down the chain', async () => {
    await enableRebate(db, { default_reward_bps: 1900 });
    const { storeId } = await createStore(db, { rewardBps: 1800 });
    const p = await createProduct(db, { storeId, priceFen: 10000 });
    const [m] = await createMembers(db, 1);
    await setRule(db, 'store', storeId, LOTTERY);
    const buyStore = async () => {
      const o = await createOrder(db, m, { channel: 'store', lines: [{ product_id: p, quantity: 1 }] });
      await pay(db, o);
      return lineTerms(db, o.order_no);
    };
    expect(await buyStore()).toMatchObject({ rule: 'store_lottery', label: '门店抽奖', reward_bps: 1800, ent: 1800 });
    await setRule(db, 'product', p, { reward_bps: 1700 });
    expect(await buyStore()).toMatchObject({ rule: 'store_lottery', reward_bps: 1700, ent: 1700 });
    await setRule(db, 'store', storeId, { reward_bps: null });
    await setRule(db, 'product', p, { reward_bps: null });
    expect(await buyStore()).toMatchObject({ rule: 'store_lottery', reward_bps: 1900, ent: 1900 });
  });

  test('a level with no ratio anywhere falls through; a level ratio of 0 applies and earns no entry', async () => {
    await enableRebate(db, { default_reward_bps: 10000 });
    await createLevels(db, [[1, '白银', 5], [2, '黄金', 10]]);
    const p = await createProduct(db, { priceFen: 10000 });
    const [silver, gold, base] = await createMembers(db, 3);
    await setMemberLevel(db, silver, 1);
    await setMemberLevel(db, gold, 2);
    await setPlugin(db, { level_reward_bps: { 2: 0, 0: 12000 } });
    const buy = async (m: string) => { const o = await createOrder(db, m, mallOrder([[p, 1]])); await pay(db, o); return lineTerms(db, o.order_no); };
    expect(await buy(silver)).toMatchObject({ rule: 'plugin_default', reward_bps: 10000, ent: 10000 });
    expect(await buy(gold)).toMatchObject({ rule: 'plugin_level', label: '会员等级', reward_bps: 0, ent: 0, why: 'zero_entitlement' });
    expect(await buy(base)).toMatchObject({ rule: 'plugin_level', reward_bps: 12000, ent: 12000 });
  });
});

describe('member level at order time', () => {
  test('the level when the order is paid (its lines join) is used; a later change of level never changes an entry', async () => {
    await enableRebate(db, { default_reward_bps: 10000 });
    await createLevels(db, [[1, '黄金', 10]]);
    const p = await createProduct(db, { priceFen: 10000 });
    await setRule(db, 'product', p, { level_reward_bps: { 1: 20000 } });
    const [m] = await createMembers(db, 1);
    const first = await createOrder(db, m, mallOrder([[p, 1]]));
    await pay(db, first);                                              // paid at level 0
    await setMemberLevel(db, m, 1);
    const second = await createOrder(db, m, mallOrder([[p, 1]]));
    await pay(db, second);                                             // paid at level 1
    await setMemberLevel(db, m, 0);
    expect(await lineTerms(db, first.order_no)).toMatchObject({ rule: 'plugin_default', reward_bps: 10000, ent: 10000 });
    expect(await lineTerms(db, second.order_no)).toMatchObject({ rule: 'product_level', label: '商品会员等级', reward_bps: 20000, ent: 20000 });
  });
});

describe('cumulative-spend tiers', () => {
  const TIERS = [
    { days: 30, min_fen: 200000, bps: 5000 },
    { days: 30, min_fen: 500000, bps: 6000 },
    { days: 60, min_fen: 1000000, bps: 10000 },
  ];

  /** A completed cashier payment of `fen`, completed `daysAgo` Shanghai days ago. */
  async function spend(member: string, storeId: number, fen: number, daysAgo: number) {
    const o = await createOrder(db, member, { channel: 'cashier', store_id: storeId, amount_fen: fen });
    await pay(db, o);
    await complete(db, o.order_no);
    if (daysAgo > 0) {
      await db.admin.query(`update rebate.orders set completed_at = completed_at - make_interval(days => $2) where order_no = $1`,
        [o.order_no, daysAgo]);
    }
    return o;
  }

  async function ratioNow(member: string, storeId: number) {
    const o = await createOrder(db, member, { channel: 'cashier', store_id: storeId, amount_fen: 10000 });
    await pay(db, o);
    return lineTerms(db, o.order_no);
  }

  test('SPEC example: 6000.00 in the last 30 days and 11000.00 in the last 60 days → 100%; the highest qualifying tier wins', async () => {
    await enableRebate(db, { default_reward_bps: 1000 });
    const { storeId, cashierId } = await createStore(db);
    await setRule(db, 'cashier', cashierId as number, { tiers: TIERS });
    const [m, n, q] = await createMembers(db, 3);
    await spend(m, storeId, 600000, 3);      // 6000.00, 3 days ago
    await spend(m, storeId, 500000, 45);     // 5000.00, 45 days ago → 11000.00 within 60 days
    expect(await ratioNow(m, storeId)).toMatchObject({ rule: 'cashier_tier', label: '收银台累计消费', reward_bps: 10000 });

    await spend(n, storeId, 600000, 3);
    await spend(n, storeId, 300000, 45);     // 9000.00 within 60 days: the 60% tier
    expect(await ratioNow(n, storeId)).toMatchObject({ rule: 'cashier_tier', reward_bps: 6000 });

    await spend(q, storeId, 250000, 29);     // 2500.00 within 30 days (29 days ago is inside)
    await spend(q, storeId, 900000, 61);     // outside every window
    expect(await ratioNow(q, storeId)).toMatchObject({ rule: 'cashier_tier', reward_bps: 5000 });
  });

  test('window edges: N days = today and the N − 1 Shanghai days before', async () => {
    await enableRebate(db, { default_reward_bps: 1000 });
    const { storeId, cashierId } = await createStore(db);
    await setRule(db, 'cashier', cashierId as number, { tiers: [{ days: 30, min_fen: 200000, bps: 5000 }] });
    const [inside, outside] = await createMembers(db, 2);
    await spend(inside, storeId, 200000, 29);
    await spend(outside, storeId, 200000, 30);
    expect(await ratioNow(inside, storeId)).toMatchObject({ rule: 'cashier_tier', reward_bps: 5000 });
    expect(await ratioNow(outside, storeId)).toMatchObject({ rule: 'plugin_default', reward_bps: 1000 });
  });

  test('only completed orders count; a refund of a completed order takes its cash back out; other stores do not count', async () => {
    await enableRebate(db, { default_reward_bps: 1000 });
    const s1 = await createStore(db);
    const s2 = await createStore(db);
    await setRule(db, 'cashier', s1.cashierId as number, { tiers: [{ days: 30, min_fen: 200000, bps: 5000 }] });
    const [m] = await createMembers(db, 1);
    const paidOnly = await createOrder(db, m, { channel: 'cashier', store_id: s1.storeId, amount_fen: 300000 });
    await pay(db, paidOnly);                                   // paid, not completed
    await spend(m, s2.storeId, 300000, 0);                    // completed, another store
    expect(await ratioNow(m, s1.storeId)).toMatchObject({ rule: 'plugin_default' });
    await complete(db, paidOnly.order_no);
    expect(await ratioNow(m, s1.storeId)).toMatchObject({ rule: 'cashier_tier', reward_bps: 5000 });
    await refund(db, paidOnly.order_no, 'rf-1');
    expect(await ratioNow(m, s1.storeId)).toMatchObject({ rule: 'plugin_default' });
  });

  test('mall tiers count completed mall orders only (not store or cashier orders)', async () => {
    await enableRebate(db, { default_reward_bps: 1000 });
    const p = await createProduct(db, { priceFen: 100000, kind: 'supplier' });
    const { storeId } = await createStore(db);
    await setRule(db, 'product', p, { tiers: [{ days: 7, min_fen: 100000, bps: 4000 }] });
    const [m] = await createMembers(db, 1);
    await spend(m, storeId, 500000, 0);
    const o1 = await createOrder(db, m, mallOrder([[p, 1]]));
    await pay(db, o1);
    expect(await lineTerms(db, o1.order_no)).toMatchObject({ rule: 'plugin_default' });
    await complete(db, o1.order_no);
    const o2 = await createOrder(db, m, mallOrder([[p, 1]]));
    await pay(db, o2);
    expect(await lineTerms(db, o2.order_no)).toMatchObject({ rule: 'product_tier', label: '商品累计消费', reward_bps: 4000 });
  });
});

test('a tier sums only the window of the member\'s completed orders, through the covering spend index', async () => {
  const [m] = await createMembers(db, 1);
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query('set local enable_seqscan = off');
    const { rows } = await c.query(`explain (format json)
      select coalesce(sum(o.pay_fen - o.refunded_fen), 0) from rebate.orders o
       where o.member_id = $1 and o.status = 'completed'
         and o.completed_at >= ((current_date - 29)::timestamp at time zone 'Asia/Shanghai')
         and case when $2::bigint is null then o.channel = 'mall' else o.channel <> 'mall' and o.store_id = $2 end`, [m, null]);
    const plan = JSON.stringify(rows[0]['QUERY PLAN']);
    expect(plan).toContain('orders_completed_spend_idx');
    expect(plan).toContain('Index Only Scan');
  } finally {
    await c.query('rollback');
    c.release();
  }
});

describe('extraction ratio: the most specific setting wins', () => {
  test.each<[Target, string]>([['product', 'store product'], ['store', 'store'], ['cashier', 'cashier']])('%s', async (target) => {
    await enableRebate(db, { extraction_bps: 1000 });
    const { storeId, cashierId } = await createStore(db, { extractionBps: 2000, cashier: { extractionBps: 3000 } });
    const p = await createProduct(db, { storeId, extractionBps: 4000 });
    const [m] = await createMembers(db, 1);
    const storeOrder = async () => { const o = await createOrder(db, m, { channel: 'store', lines: [{ product_id: p, quantity: 1 }] }); await pay(db, o); return lineTerms(db, o.order_no); };
    const cashierOrder = async () => { const o = await createOrder(db, m, { channel: 'cashier', store_id: storeId, amount_fen: 10000 }); await pay(db, o); return lineTerms(db, o.order_no); };
    if (target === 'product') {
      expect((await storeOrder()).ext).toBe(4000);
      await setRule(db, 'product', p, { extraction_bps: null });
      expect((await storeOrder()).ext).toBe(2000);
    } else if (target === 'store') {
      await setRule(db, 'product', p, { extraction_bps: null });
      await setRule(db, 'store', storeId, { extraction_bps: null });
      expect((await storeOrder()).ext).toBe(1000);
    } else {
      expect((await cashierOrder()).ext).toBe(3000);
      await setRule(db, 'cashier', cashierId as number, { extraction_bps: null });
      expect((await cashierOrder()).ext).toBe(1000);
    }
  });
});

// 股东分红 (SPEC §11): each settled line accrues dividend_bps of its paid amount into the pool;
// run_dividend() pays a period's pool to shareholder-level members by weight, once per period.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, enableRebate, reconcile, refund } from '../helpers/engine';
import { commission, concurrently, createTeamLevel, makeAdmin, rewards, rpc, setRewardSettings, setTeamLevel } from '../helpers/referral';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

/** A moment `days` days after today's start in Asia/Shanghai, plus one hour. */
async function shanghaiDay(days: number): Promise<string> {
  const { rows } = await db.admin.query(
    `select ((date_trunc('day', now() at time zone 'Asia/Shanghai') + make_interval(days => $1) + interval '1 hour')
             at time zone 'Asia/Shanghai')::text as t`, [days]);
  return rows[0].t;
}

const run = async (at: string) =>
  (await db.call('service_role', null, `select public.run_dividend($1::timestamptz) as r`, [at]))[0].r;

async function setup() {
  await enableRebate(db, { merchant_queue: true });
  await setRewardSettings(db, { dividend_bps: 100, dividend_period: 'daily' });
  await createTeamLevel(db, { id: 1, name: '股东', dividendWeight: 1 });
  await createTeamLevel(db, { id: 2, name: '大股东', dividendWeight: 2 });
  const [s1, s2, buyer] = await createMembers(db, 3);
  return { s1, s2, buyer, product: await createProduct(db, { priceFen: 10000 }) };
}

test('a daily period splits the pool by weight, largest remainder; a second run of the period changes nothing', async () => {
  const { s1, s2, buyer, product } = await setup();
  await setTeamLevel(db, s1, 1);
  await setTeamLevel(db, s2, 2);
  for (let i = 0; i < 3; i++) await buy(db, buyer, product);        // 3 × 1% of 100.00 = 300
  await buy(db, buyer, await createProduct(db, { priceFen: 1234 })); // 12.34 → 12
  const tomorrow = await shanghaiDay(1);
  const first = await run(tomorrow);
  expect(first).toMatchObject({ kind: 'daily', pool_fen: 312, paid_fen: 312, carried_fen: 0, shareholder_count: 2, replayed: false });
  expect(first.period_key).toMatch(/^D\d{4}-\d{2}-\d{2}$/);
  expect(await commission(db, s1)).toBe(104);   // 312 × 1/3
  expect(await commission(db, s2)).toBe(208);
  const again = await run(tomorrow);
  expect(again).toMatchObject({ period_key: first.period_key, paid_fen: 312, replayed: true });
  expect(await commission(db, s1) + await commission(db, s2)).toBe(312);
  // the next day's period has nothing new
  expect(await run(await shanghaiDay(2))).toMatchObject({ pool_fen: 0, paid_fen: 0, replayed: false });
  const rs = await rewards(db);
  expect(rs.map((r) => [r.kind, r.member_id, r.amount_fen, r.base_fen, r.rule_label]).sort((x, y) => Number(x[2]) - Number(y[2]))).toEqual([   // credited in member order
    ['dividend', s1, 104, 312, `股东分红 ${first.period_key}`], ['dividend', s2, 208, 312, `股东分红 ${first.period_key}`]]);
  const mine = await db.call('authenticated', s2, `select kind, amount_fen, period_key from public.my_rewards()`);
  expect(mine).toEqual([{ kind: 'dividend', amount_fen: '208', period_key: first.period_key }]);
  const { rows } = await db.admin.query(`select body from rebate.messages where kind = 'dividend_paid' and member_id = $1`, [s1]);
  expect(rows[0].body).toBe(`分红周期${first.period_key}：分红池¥3.12，您获得¥1.04`);
});

test('accruals after the period end wait for their own period; a period without shareholders carries the pool over', async () => {
  const { s1, buyer, product } = await setup();
  await buy(db, buyer, product);
  await buy(db, buyer, product);
  // the first accrual belongs to two days ago, the second to today
  await db.admin.query(`update rebate.dividend_accruals set accrued_at = now() - interval '2 days'
                         where id = (select min(id) from rebate.dividend_accruals)`);
  const today = await shanghaiDay(0);        // pays yesterday: nothing accrued yesterday, older accruals still count
  const p1 = await run(today);
  expect(p1).toMatchObject({ pool_fen: 100, paid_fen: 0, carried_fen: 100, shareholder_count: 0 });
  await setTeamLevel(db, s1, 1);
  const p2 = await run(await shanghaiDay(1));   // today: the carried 100 and today's 100
  expect(p2).toMatchObject({ pool_fen: 200, paid_fen: 200, shareholder_count: 1 });
  expect(await commission(db, s1)).toBe(200);
  // a period already run keeps its first result, even with shareholders now
  expect(await run(today)).toMatchObject({ paid_fen: 0, carried_fen: 100, replayed: true });
});

test('weekly and monthly periods are keyed by ISO week and month', async () => {
  const { s1, buyer, product } = await setup();
  await setTeamLevel(db, s1, 1);
  await buy(db, buyer, product);
  await setRewardSettings(db, { dividend_period: 'weekly' });
  const w = await run(await shanghaiDay(7));
  expect(w.period_key).toMatch(/^W\d{4}-\d{2}$/);
  expect(w.paid_fen).toBe(100);
  await setRewardSettings(db, { dividend_period: 'monthly' });
  const m = await run(await shanghaiDay(31));
  expect(m.period_key).toMatch(/^M\d{4}-\d{2}$/);
  expect(m.paid_fen).toBe(0);   // the week's run already paid it
});

test('refunds: an accrual leaves the pool before payout, and stays paid after it', async () => {
  const { s1, buyer, product } = await setup();
  await setTeamLevel(db, s1, 1);
  const o1 = await buy(db, buyer, product);
  const o2 = await buy(db, buyer, product);
  await refund(db, o1.order_no, 'div-r1');
  const p = await run(await shanghaiDay(1));
  expect(p.paid_fen).toBe(100);
  await refund(db, o2.order_no, 'div-r2');
  expect(await commission(db, s1)).toBe(100);
  const { rows } = await db.admin.query(`select reversed_at is not null as reversed, refunded_at is not null as refunded,
    period_id is not null as paid from rebate.dividend_accruals order by id`);
  expect(rows).toEqual([{ reversed: true, refunded: true, paid: false }, { reversed: false, refunded: true, paid: true }]);
});

test('concurrent runs of one period: one pays, the others replay', async () => {
  const { s1, s2, buyer, product } = await setup();
  await setTeamLevel(db, s1, 1);
  await setTeamLevel(db, s2, 1);
  for (let i = 0; i < 5; i++) await buy(db, buyer, product);
  const at = await shanghaiDay(1);
  const results = await concurrently(4, [at, at, at, at], run);
  expect(results.every((r) => r.ok)).toBe(true);
  expect(results.filter((r: any) => !r.value.replayed)).toHaveLength(1);
  expect(await commission(db, s1) + await commission(db, s2)).toBe(500);
});

test('only the service role runs dividends; the admin sees the pool', async () => {
  const { s1, buyer, product } = await setup();
  await makeAdmin(db, s1);
  await buy(db, buyer, product);
  await expect(db.call('authenticated', s1, `select public.run_dividend()`)).rejects.toMatchObject({ code: '42501' });
  await expectDbError(db.call('service_role', null, `select public.run_dividend(null)`), 'invalid_time');
  const o = await rpc(db, s1, `select public.admin_dividend_overview()`);
  expect(o).toMatchObject({ open_pool_fen: 100, shareholder_count: 0, periods: [] });
  await expectDbError(rpc(db, buyer, `select public.admin_dividend_overview()`), 'forbidden_role');
});

// Exchange (兑换, SPEC §9) in union mode (§13.1): a waiting union entry's remaining quota (quota −
// received) leaves the union queue and is credited as points or love value at the exchange
// setting's ratio; the pool is not touched, so what it holds pays the entries behind. A refund of
// the line later takes back what was credited (as far as the balance allows) and keeps back the
// cash the entry received. docs/union.md, example U7.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, reconcile, refund, wallet } from '../helpers/engine';
import { bind } from '../helpers/referral';
import { closeDay, enableUnion, payout, unionEntries } from '../helpers/union';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

const preview = async (member: string, id: number, target: string) =>
  (await db.call('authenticated', member, `select to_jsonb(public.preview_union_exchange($1, $2)) as r`, [id, target]))[0].r;
const exchange = async (member: string, id: number, target: string) =>
  (await db.call('authenticated', member, `select to_jsonb(public.exchange_union_entry($1, $2)) as r`, [id, target]))[0].r;

test('Example U7: an accelerated entry\'s remaining quota is exchanged; the payout then pays the entries behind it', async () => {
  await enableUnion(db, { union_accel_bps: 1000 });
  await db.admin.query(`update rebate.settings set points_exchange_bps = 20000, love_exchange_bps = 5000, love_exchange_frozen = true where id = 1`);
  const p = await createProduct(db, { priceFen: 10000 });
  const [a, b, x, other] = await createMembers(db, 4);
  await buy(db, a, p);                                   // A: 110.00
  await buy(db, b, p);                                   // B: 110.00
  await bind(db, x, a);
  await buy(db, x, p);                                   // X: 110.00; A accelerated 10.00
  const [ea, eb] = await unionEntries(db);
  expect(ea).toMatchObject({ received_fen: 1000, status: 'waiting' });

  // the exact amounts before confirming: 100.00 × 200% = 20000 points; × 50% = 50.00 love value, frozen
  expect(await preview(a, ea.id, 'points')).toMatchObject({ entry_id: ea.id, remaining_fen: 10000, exchange_bps: 20000, amount: 20000, asset: 'points', frozen: false });
  expect(await preview(a, ea.id, 'love')).toMatchObject({ remaining_fen: 10000, amount: 5000, asset: 'love_frozen', frozen: true });
  await expectDbError(preview(other, ea.id, 'points'), 'entry_not_found');
  await expectDbError(exchange(other, ea.id, 'points'), 'entry_not_found');
  await expectDbError(preview(a, ea.id, 'cash'), 'invalid_exchange_target');

  const r = await exchange(a, ea.id, 'points');
  expect(r).toMatchObject({ entry_id: ea.id, remaining_fen: 10000, amount: 20000, asset: 'points', status: 'exchanged', entry_status: 'exchanged', balance_after: 20000 });
  expect(await wallet(db, a)).toMatchObject({ cash_fen: 1000, points: 20000 });
  expect((await unionEntries(db))[0]).toMatchObject({ status: 'exchanged', received_fen: 1000, closed_fen: 10000 });
  await expectDbError(exchange(a, ea.id, 'love'), 'entry_not_waiting');
  const mine = await db.call('authenticated', a, `select entry_id, status, remaining_fen::int, queue_position, can_exchange from public.my_union_entries()`);
  expect(mine).toEqual([{ entry_id: String(ea.id), status: 'exchanged', remaining_fen: 0, queue_position: null, can_exchange: false }]);
  const { rows: msg } = await db.admin.query(`select kind, body, amount_fen::int from rebate.messages where member_id = $1 and kind = 'union_exchanged'`, [a]);
  expect(msg).toEqual([{ kind: 'union_exchanged', body: '工会排队名额剩余额度¥100.00已兑换为20000积分', amount_fen: 20000 }]);

  // the pool is untouched: 180.00 − 10.00 = 170.00 pays B (110.00, now the head); X's 110.00 waits
  expect(await closeDay(db, -1)).toMatchObject({ contribution_fen: 18000, acceleration_fen: 1000, available_fen: 17000, paid_fen: 11000, entries_paid: 1, carry_over_fen: 6000 });
  expect((await unionEntries(db)).map((e) => [e.id, e.status])).toEqual([[ea.id, 'exchanged'], [eb.id, 'completed'], [expect.any(Number), 'waiting']]);
});

test('a refund of an exchanged union entry takes the points back as far as the balance allows and keeps back the cash received', async () => {
  await enableUnion(db, { union_accel_bps: 1000 });
  const p = await createProduct(db, { priceFen: 10000 });
  const [a, x, friend] = await createMembers(db, 3);
  const oa = await buy(db, a, p);
  await bind(db, x, a);
  await buy(db, x, p);                                   // A received 10.00 acceleration
  const [ea] = await unionEntries(db);
  await exchange(a, ea.id, 'points');                    // 100.00 → 10000 points
  // A gives 4000 points away: only 6000 can be taken back
  const { rows: code } = await db.admin.query(`select member_code from rebate.members where id = $1`, [friend]);
  await db.call('authenticated', a, `select public.transfer_points($1, 4000)`, [code[0].member_code]);
  const r = await refund(db, oa.order_no, 'R-A');
  expect(r).toMatchObject({ refund_fen: 9000, clawback_fen: 1000 });   // the 10.00 acceleration kept back
  expect(await wallet(db, a)).toMatchObject({ cash_fen: 1000, points: 0 });
  const { rows } = await db.admin.query(`select asset, due::int, taken::int from rebate.union_exchange_takebacks`);
  expect(rows).toEqual([{ asset: 'points', due: 10000, taken: 6000 }]);
  expect((await unionEntries(db))[0]).toMatchObject({ status: 'exchanged' });
});

test('exchange is refused while off, and a payout waits for an exchange in progress (never pays an exchanged entry)', async () => {
  await enableUnion(db);
  await db.admin.query(`update rebate.settings set points_exchange_bps = 0 where id = 1`);
  const p = await createProduct(db, { priceFen: 10000 });
  const [a, b] = await createMembers(db, 2);
  await buy(db, a, p); await buy(db, b, p);
  const [ea] = await unionEntries(db);
  await expectDbError(exchange(a, ea.id, 'points'), 'exchange_off');
  await db.admin.query(`update rebate.settings set points_exchange_bps = 10000 where id = 1`);
  await db.admin.query(`update rebate.union_lines set day = rebate.shanghai_day(now()) - 1`);

  // A's exchange holds the union key shared until it commits; the payout (exclusive) waits for it
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
      [JSON.stringify({ sub: a, role: 'authenticated' })]);
    await c.query(`select public.exchange_union_entry($1, 'points')`, [ea.id]);
    const run = payout(db, -1);
    // the payout is blocked on the union key (advisory lock), not finished
    for (let i = 0; i < 200; i++) {
      const { rows } = await db.admin.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`);
      if (rows[0].n > 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const { rows: waiting } = await db.admin.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`);
    expect(waiting[0].n).toBe(1);
    await c.query('commit');
    // 120.00 available: A's entry is gone (exchanged); B's 110.00 is paid
    expect(await run).toMatchObject({ available_fen: 12000, paid_fen: 11000, entries_paid: 1 });
  } finally {
    c.release();
  }
  expect((await unionEntries(db)).map((e) => e.status)).toEqual(['exchanged', 'completed']);
});

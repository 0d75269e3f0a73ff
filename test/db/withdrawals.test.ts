// Withdrawals (提现) of cash rebate and commission: minimum, fee, daily count limit; the amount is
// held while pending; approval records the payout reference, rejection returns the amount;
// nothing is withdrawn twice, also under concurrency. reconcile() is clean after every test.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, grantBalance, reconcile } from '../helpers/engine';
import { bind, cash, commission, concurrently, makeAdmin, rpc, setRewardSettings } from '../helpers/referral';

let db: TestDb;
let admin: string;
beforeEach(async () => {
  db = await createTestDb();
  [admin] = await createMembers(db, 1);
  await makeAdmin(db, admin);
});
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

/** Commission as it really arrives: a direct reward of 50% on a referee's order of `fen` × 2. */
async function giveCommission(member: string, fen: number) {
  await setRewardSettings(db, { referral_direct_bps: 5000 });
  const [referee] = await createMembers(db, 1);
  await bind(db, referee, member);
  await buy(db, referee, await createProduct(db, { priceFen: fen * 2 }));
  expect(await commission(db, member)).toBe(fen);
}

const request = (member: string, asset: string, amount: number) =>
  rpc(db, member, `select to_jsonb(public.request_withdrawal($1, $2))`, [asset, amount]);

test('rules: asset, minimum, fee, balance; the amount is held at once', async () => {
  const [m] = await createMembers(db, 1);
  await grantBalance(db, m, 'cash', 10000);
  await setRewardSettings(db, { withdraw_min_fen: 1000, withdraw_fee_bps: 60 });
  await expectDbError(request(m, 'points', 1000), 'invalid_asset');
  await expectDbError(request(m, 'cash', 0), 'invalid_amount');
  const min = await expectDbError(request(m, 'cash', 999), 'withdraw_below_minimum');
  expect(min.hint).toBe('最低提现金额为¥10.00');
  await expectDbError(request(m, 'cash', 10001), 'insufficient_cash');
  await expectDbError(request(m, 'commission', 1000), 'insufficient_commission');
  const w = await request(m, 'cash', 3333);
  expect(w).toMatchObject({ asset: 'cash', amount_fen: 3333, fee_bps: 60, fee_fen: 20, net_fen: 3313, status: 'pending',
    status_label: '审核中', payout_ref: null });   // 0.6% of 33.33 = 0.19998 → 0.20
  expect(await cash(db, m)).toBe(10000 - 3333);
  expect(await rpc(db, m, `select to_jsonb(public.my_withdrawal_info())`)).toMatchObject({ min_fen: 1000, fee_bps: 60, daily_limit: 3,
    today_count: 1, pending_fen: 3333, cash_fen: 6667, commission_fen: 0 });
  const { rows } = await db.admin.query(`select reason, delta::int from rebate.ledger where member_id = $1 and asset = 'cash' order by id`, [m]);
  expect(rows).toEqual([{ reason: 'admin_adjustment', delta: 10000 }, { reason: 'withdrawal', delta: -3333 }]);
  await expectDbError(db.call('anon', null, `select public.request_withdrawal('cash', 1000)`), /permission denied/);
});

test('approve with a payout reference (idempotent); reject with a reason returns the amount; neither twice', async () => {
  const [m] = await createMembers(db, 1);
  await giveCommission(m, 5000);
  const w1 = await request(m, 'commission', 2000);
  const w2 = await request(m, 'commission', 1500);
  expect(await commission(db, m)).toBe(1500);
  await expectDbError(rpc(db, m, `select public.admin_approve_withdrawal($1, 'T1')`, [w1.withdrawal_id]), 'forbidden_role');
  const pending = await rpc(db, admin, `select public.admin_list_withdrawals()`);
  expect(pending.map((x: any) => x.withdrawal_id)).toEqual([w2.withdrawal_id, w1.withdrawal_id]);
  await expectDbError(rpc(db, admin, `select public.admin_approve_withdrawal($1, 'bad ref!')`, [w1.withdrawal_id]), 'invalid_payout_ref');
  const a = await rpc(db, admin, `select public.admin_approve_withdrawal($1, 'WXT-001')`, [w1.withdrawal_id]);
  expect(a).toMatchObject({ status: 'approved', status_label: '已打款', payout_ref: 'WXT-001', replayed: false });
  expect(await rpc(db, admin, `select public.admin_approve_withdrawal($1, 'WXT-001')`, [w1.withdrawal_id])).toMatchObject({ replayed: true });
  await expectDbError(rpc(db, admin, `select public.admin_approve_withdrawal($1, 'WXT-002')`, [w1.withdrawal_id]), 'withdrawal_not_pending');
  await expectDbError(rpc(db, admin, `select public.admin_reject_withdrawal($1, '重复')`, [w1.withdrawal_id]), 'withdrawal_not_pending');
  await expectDbError(rpc(db, admin, `select public.admin_approve_withdrawal($1, 'WXT-001')`, [w2.withdrawal_id]), 'payout_ref_conflict');
  await expectDbError(rpc(db, admin, `select public.admin_reject_withdrawal($1, '')`, [w2.withdrawal_id]), 'invalid_reason');
  const r = await rpc(db, admin, `select public.admin_reject_withdrawal($1, '账户信息有误')`, [w2.withdrawal_id]);
  expect(r).toMatchObject({ status: 'rejected', reject_reason: '账户信息有误' });
  expect(await commission(db, m)).toBe(3000);
  await expectDbError(rpc(db, admin, `select public.admin_reject_withdrawal($1, '再次')`, [w2.withdrawal_id]), 'withdrawal_not_pending');
  await expectDbError(rpc(db, admin, `select public.admin_approve_withdrawal($1, 'WXT-003')`, [w2.withdrawal_id]), 'withdrawal_not_pending');
  await expectDbError(rpc(db, admin, `select public.admin_approve_withdrawal(999999, 'WXT-004')`), 'withdrawal_not_found');
  expect(await commission(db, m)).toBe(3000);
  const mine = await rpc(db, m, `select coalesce(jsonb_agg(to_jsonb(w)), '[]') from public.my_withdrawals() w`);
  expect(mine.map((x: any) => [x.status, x.amount_fen])).toEqual([['rejected', 1500], ['approved', 2000]]);
  const { rows } = await db.admin.query(`select kind, body from rebate.messages where member_id = $1 and kind like 'withdrawal%' order by id`, [m]);
  expect(rows).toEqual([{ kind: 'withdrawal_approved', body: '提现¥20.00已打款¥20.00' },
    { kind: 'withdrawal_rejected', body: '提现¥15.00未通过，已退回余额：账户信息有误' }]);
});

test('the daily count limit counts every request of the Shanghai day', async () => {
  const [m] = await createMembers(db, 1);
  await grantBalance(db, m, 'cash', 100000);
  await setRewardSettings(db, { withdraw_daily_limit: 2 });
  const w = await request(m, 'cash', 100);
  await rpc(db, admin, `select public.admin_reject_withdrawal($1, '测试')`, [w.withdrawal_id]);
  await request(m, 'cash', 100);
  const e = await expectDbError(request(m, 'cash', 100), 'withdraw_daily_limit');
  expect(e.hint).toBe('今日提现次数已达上限（2次）');
  // yesterday's requests do not count
  await db.admin.query(`update rebate.withdrawals set local_day = local_day - 1 where member_id = $1`, [m]);
  await request(m, 'cash', 100);
});

test('concurrency: twenty racing requests never overdraw and respect the daily limit', async () => {
  const [m] = await createMembers(db, 1);
  await grantBalance(db, m, 'cash', 1000);
  await setRewardSettings(db, { withdraw_daily_limit: 5, withdraw_min_fen: 100 });
  const results = await concurrently(8, Array(20).fill(300), (amt) => request(m, 'cash', amt));
  const ok = results.filter((r) => r.ok);
  expect(ok).toHaveLength(3);   // 3 × 300 ≤ 1000 < 4 × 300
  expect(new Set(results.filter((r) => !r.ok).map((r: any) => r.error.message))).toEqual(new Set(['insufficient_cash']));
  expect(await cash(db, m)).toBe(100);

  const [n] = await createMembers(db, 1);
  await grantBalance(db, n, 'cash', 100000);
  const limited = await concurrently(8, Array(12).fill(100), (amt) => request(n, 'cash', amt));
  expect(limited.filter((r) => r.ok)).toHaveLength(5);
  expect(new Set(limited.filter((r) => !r.ok).map((r: any) => r.error.message))).toEqual(new Set(['withdraw_daily_limit']));
});

test('concurrency: racing approve and reject of one withdrawal, exactly one decision lands', async () => {
  const [m] = await createMembers(db, 1);
  await grantBalance(db, m, 'cash', 100000);
  for (let round = 0; round < 6; round++) {
    const w = await request(m, 'cash', 1000 + round);
    await db.admin.query(`update rebate.withdrawals set local_day = local_day - 1 where id = $1`, [w.withdrawal_id]);
    const jobs = [`select public.admin_approve_withdrawal(${w.withdrawal_id}, 'P${round}A')`,
      `select public.admin_reject_withdrawal(${w.withdrawal_id}, '并发驳回')`,
      `select public.admin_approve_withdrawal(${w.withdrawal_id}, 'P${round}B')`];
    const results = await concurrently(3, jobs, (sql) => rpc(db, admin, sql));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r: any) => r.error.message === 'withdrawal_not_pending')).toBe(true);
  }
  const { rows } = await db.admin.query(`select status, count(*)::int as n from rebate.withdrawals group by status`);
  expect(rows.reduce((s, r) => s + r.n, 0)).toBe(6);
});

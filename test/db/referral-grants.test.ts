// Grants, RLS and reconcile() of the referral area: every RPC executable by exactly its roles,
// security definer with an empty search_path; the row policies of its tables as a second line of
// defence; and reconcile() noticing each kind of tampering with commissions, dividends,
// withdrawals and referrals.
import { createTestDb, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, grantBalance, reconcile } from '../helpers/engine';
import { bind, createTeamLevel, REFERRAL_RPCS, rpc, setRewardSettings, setTeamLevel } from '../helpers/referral';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.close(); });

test.each(Object.entries(REFERRAL_RPCS))('%s is executable by exactly the roles it is granted to', async (sig, roles) => {
  const { rows } = await db.admin.query(`
    select has_function_privilege('anon', $1::regprocedure, 'execute') as anon,
           has_function_privilege('authenticated', $1::regprocedure, 'execute') as authenticated,
           has_function_privilege('service_role', $1::regprocedure, 'execute') as service_role,
           has_function_privilege('public', $1::regprocedure, 'execute') as public,
           p.prosecdef, p.proconfig
      from pg_proc p where p.oid = $1::regprocedure`, [`public.${sig}`]);
  expect(rows[0]).toMatchObject({ anon: false, public: false, ...roles, prosecdef: true, proconfig: ['search_path=""'] });
});

test('the referral check is part of reconcile(), which members cannot run', async () => {
  const { rows } = await db.admin.query(`select to_regprocedure('rebate.reconcile_check_referral()') is not null as ok,
    has_function_privilege('authenticated', 'rebate.reconcile_check_referral()', 'execute') as member`);
  expect(rows[0]).toEqual({ ok: true, member: false });
});

test('row-level security: with table access granted, a member would still see only their own rows', async () => {
  const [a, b, c] = await createMembers(db, 3);
  await setRewardSettings(db, { referral_direct_bps: 1000, dividend_bps: 100, withdraw_min_fen: 1 });
  await db.admin.query(`insert into rebate.wechat_tokens (appid, access_token, expires_at) values ('wxapp', 'tok', now() + interval '1 hour')`);
  await db.admin.query(`insert into rebate.qrcode_images (scene, page, variant, mime, image)
                        values ('i=ABCDEFGH', 'packages/invite/join/index', 'qr', 'image/png', '\\x89504e470d0a1a0a')`);
  await db.admin.query(`insert into rebate.merchant_invite_codes (code, label) values ('PABCDEFGH2', 'x')`);
  await bind(db, b, a);
  await bind(db, c, b);
  await buy(db, b, await createProduct(db, { priceFen: 1000 }));
  await buy(db, c, await createProduct(db, { priceFen: 1000 }));
  for (const m of [a, b, c]) await grantBalance(db, m, 'cash', 500);
  for (const m of [a, b, c]) await rpc(db, m, `select public.request_withdrawal('cash', 100)`);
  const conn = await db.admin.connect();
  try {
    await conn.query('begin');
    await conn.query(`grant usage on schema rebate to authenticated`);
    await conn.query(`grant select on rebate.referrals, rebate.rewards, rebate.withdrawals, rebate.promoters,
                      rebate.dividend_accruals, rebate.dividend_periods, rebate.wechat_tokens, rebate.qrcode_images,
                      rebate.merchant_invite_codes to authenticated`);
    await conn.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
      [JSON.stringify({ role: 'authenticated', sub: b })]);
    // b: its own referral (to a) and its direct referee's (c)
    const refs = (await conn.query(`select member_id, referrer_id from rebate.referrals order by id`)).rows;
    expect(refs).toEqual([{ member_id: b, referrer_id: a }, { member_id: c, referrer_id: b }]);
    expect((await conn.query(`select member_id from rebate.rewards`)).rows).toEqual([{ member_id: b }]);
    expect((await conn.query(`select member_id from rebate.withdrawals`)).rows).toEqual([{ member_id: b }]);
    // these exist (superuser), but no policy lets a member see them
    for (const t of ['dividend_accruals', 'dividend_periods', 'wechat_tokens', 'qrcode_images', 'merchant_invite_codes']) {
      expect([t, (await conn.query(`select 1 from rebate.${t}`)).rows]).toEqual([t, []]);
    }
  } finally {
    await conn.query('rollback');
    conn.release();
  }
});

test('reconcile() notices tampering with commissions, dividends, withdrawals and referrals', async () => {
  const [a, b] = await createMembers(db, 2);
  await setRewardSettings(db, { referral_direct_bps: 1000, dividend_bps: 100, withdraw_min_fen: 1 });
  await createTeamLevel(db, { id: 9, name: '股东', dividendWeight: 1 });
  await setTeamLevel(db, a, 9);
  await bind(db, b, a);
  await buy(db, b, await createProduct(db, { priceFen: 5000 }));
  await db.call('service_role', null, `select public.run_dividend(now() + interval '40 days')`);
  await rpc(db, a, `select public.request_withdrawal('commission', 100)`);
  expect(await reconcile(db)).toEqual([]);

  const checksAfter = async (tamper: string, params: unknown[] = []) => {
    const c = await db.admin.connect();
    try {
      await c.query('begin');
      await c.query(`alter table rebate.referrals disable trigger referrals_append_only`);
      await c.query(tamper, params);
      const { rows } = await c.query(`select distinct check_name from public.reconcile() order by 1`);
      return rows.map((r) => r.check_name);
    } finally {
      await c.query('rollback');
      c.release();
    }
  };
  expect(await checksAfter(`select rebate.post_ledger($1, 'commission', 5, 'commission_direct')`, [a]))
    .toEqual(['commission_ledger_reward']);
  expect(await checksAfter(`update rebate.rewards set amount_fen = amount_fen + 1 where kind = 'direct'`))
    .toEqual(['reward_ledger']);
  expect(await checksAfter(`select rebate.post_ledger($1, 'commission', -1, 'commission_reversal')`, [a]))
    .toEqual(['commission_reversal_ledger']);
  expect(await checksAfter(`update rebate.dividend_accruals set amount_fen = amount_fen + 1`))
    .toEqual(['dividend_period_accruals']);
  expect(await checksAfter(`update rebate.dividend_accruals set budget_fen = 1, amount_fen = 2, period_id = null`))
    .toEqual(expect.arrayContaining(['line_payout_cap', 'dividend_period_accruals']));
  expect(await checksAfter(`select rebate.post_ledger($1, 'commission', -1, 'withdrawal')`, [a]))
    .toEqual(['withdrawal_balance', 'withdrawal_ledger_row']);
  expect(await checksAfter(`update rebate.withdrawals set amount_fen = amount_fen + 1, net_fen = net_fen + 1`))
    .toEqual(['withdrawal_balance', 'withdrawal_hold_ledger']);
  expect(await checksAfter(`insert into rebate.referrals (member_id, referrer_id, source, invite_code) values ($1, $2, 'scan', 'AAAA')`, [a, b]))
    .toEqual(['referral_cycle']);
});

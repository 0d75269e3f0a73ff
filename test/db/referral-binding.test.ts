// Referral binding (SPEC §11): invite codes, once-and-permanent binding, no self-referral, no
// cycles, racing binds, and the team view (direct / indirect referees, masked, with counts).
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { createMembers, reconcile } from '../helpers/engine';
import { bind, concurrently, createTeamLevel, memberCode, rpc, setTeamLevel } from '../helpers/referral';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

const referralOf = async (member: string) =>
  (await db.admin.query(`select referrer_id, source, invite_code from rebate.referrals where member_id = $1`, [member])).rows[0];

test('my_invite gives my code, its scene and page; the merchant code only to members who may recruit', async () => {
  const [a, b] = await createMembers(db, 2);
  const code = await memberCode(db, a);
  const inv = await rpc(db, a, `select to_jsonb(public.my_invite())`);
  expect(inv).toMatchObject({
    member_code: code, invite_code: code, scene: `i=${code}`, page: 'packages/invite/join/index', referrer: null,
    referrer_nickname: null, is_promoter: false, can_invite_merchants: false, merchant_invite_code: null,
    merchant_scene: null, invited_count: 0, indirect_count: 0, team_level: null,
  });
  expect(inv.scene.length).toBeLessThanOrEqual(32);
  expect(inv.scene).toMatch(/^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]+$/);   // WeChat's scene alphabet

  await createTeamLevel(db, { id: 1, name: '推广员', canRecruit: true });
  await setTeamLevel(db, a, 1);
  await bind(db, b, a);
  const inv2 = await rpc(db, a, `select to_jsonb(public.my_invite())`);
  expect(inv2).toMatchObject({ is_promoter: true, can_invite_merchants: true, merchant_invite_code: code,
    merchant_scene: `m=${code}`, merchant_page: 'packages/invite/join/index', invited_count: 1,
    team_level: { id: 1, name: '推广员' } });
  const invB = await rpc(db, b, `select to_jsonb(public.my_invite())`);
  expect(invB.referrer).toEqual({ nickname_masked: '会**', bound_at: expect.any(String) });
  expect(invB.referrer_nickname).toBe('会**');
});

test('binding: bad codes, self-referral, once and permanent, idempotent for the same referrer', async () => {
  const [a, b, c] = await createMembers(db, 3);
  const codeA = await memberCode(db, a);
  await expectDbError(rpc(db, b, `select to_jsonb(public.bind_referrer($1))`, ['']), 'invalid_invite_code');
  await expectDbError(rpc(db, b, `select to_jsonb(public.bind_referrer($1))`, ['ZZZZZZZZ']), 'invalid_invite_code');
  await expectDbError(rpc(db, b, `select to_jsonb(public.bind_referrer($1))`, ['AB%CD']), 'invalid_invite_code');
  await expectDbError(rpc(db, b, `select to_jsonb(public.bind_referrer($1, 'qr'))`, [codeA]), 'invalid_source');
  await expectDbError(rpc(db, a, `select to_jsonb(public.bind_referrer($1))`, [codeA]), 'self_referral');
  await expectDbError(db.call('anon', null, `select to_jsonb(public.bind_referrer($1))`, [codeA]), /permission denied/);

  // the scene text as WeChat hands it over works too (prefix, lower case)
  const first = await rpc(db, b, `select to_jsonb(public.bind_referrer($1, 'share'))`, [`i=${codeA.toLowerCase()}`]);
  expect(first).toMatchObject({ bound: true, already_bound: false, referrer_nickname_masked: '会**', source: 'share' });
  expect(await referralOf(b)).toEqual({ referrer_id: a, source: 'share', invite_code: codeA });

  const again = await rpc(db, b, `select to_jsonb(public.bind_referrer($1))`, [codeA]);
  expect(again).toMatchObject({ bound: false, already_bound: true, bound_at: first.bound_at });
  await expectDbError(rpc(db, b, `select to_jsonb(public.bind_referrer($1))`, [await memberCode(db, c)]), 'already_bound');
  expect(await referralOf(b)).toMatchObject({ referrer_id: a });

  // permanent even for the table owner
  await expectDbError(db.admin.query(`update rebate.referrals set referrer_id = $1 where member_id = $2`, [c, b]), 'append_only');
  await expectDbError(db.admin.query(`delete from rebate.referrals where member_id = $1`, [b]), 'append_only');
  await expect(db.admin.query(`insert into rebate.referrals (member_id, referrer_id, source, invite_code) values ($1, $1, 'scan', 'AAAA')`, [c]))
    .rejects.toMatchObject({ code: '23514' });

  // the referrer is told
  const { rows } = await db.admin.query(`select kind, body from rebate.messages where member_id = $1 and kind = 'referral_bound'`, [a]);
  expect(rows).toEqual([{ kind: 'referral_bound', body: '会**通过您的邀请加入，已成为您的直推成员' }]);
});

test('no cycles: a member cannot bind to anyone below them', async () => {
  const [a, b, c, d] = await createMembers(db, 4);
  await bind(db, b, a);
  await bind(db, c, b);
  await bind(db, d, c);
  for (const below of [b, c, d]) {
    await expectDbError(rpc(db, a, `select to_jsonb(public.bind_referrer($1))`, [await memberCode(db, below)]), 'referral_cycle');
  }
  const info = await rpc(db, a, `select public.invite_info($1)`, [await memberCode(db, d)]);
  expect(info).toMatchObject({ can_bind: false, reason: 'referral_cycle', referrer_nickname_masked: '会**' });
  expect(await referralOf(a)).toBeUndefined();
  expect((await reconcile(db)).filter((r: any) => r.check_name === 'referral_cycle')).toEqual([]);
});

test('invite_info tells the join page whether I can bind', async () => {
  const [a, b, c] = await createMembers(db, 3);
  const codeA = await memberCode(db, a);
  expect(await rpc(db, b, `select public.invite_info($1)`, [`i=${codeA}`]))
    .toEqual({ invite_code: codeA, referrer_nickname_masked: '会**', can_bind: true, reason: null, bound_to_this: false });
  expect(await rpc(db, a, `select public.invite_info($1)`, [codeA])).toMatchObject({ can_bind: false, reason: 'self_referral' });
  await bind(db, b, a);
  expect(await rpc(db, b, `select public.invite_info($1)`, [codeA])).toMatchObject({ can_bind: false, reason: 'already_bound', bound_to_this: true });
  expect(await rpc(db, b, `select public.invite_info($1)`, [await memberCode(db, c)])).toMatchObject({ reason: 'already_bound', bound_to_this: false });
  await expectDbError(rpc(db, b, `select public.invite_info('NOPE0000')`), 'invalid_invite_code');
});

test('racing binds of one member to eight referrers settle on exactly one', async () => {
  const referrers = await createMembers(db, 8);
  const [x] = await createMembers(db, 1);
  const codes = await Promise.all(referrers.map((r) => memberCode(db, r)));
  const results = await concurrently(8, codes, (code) => rpc(db, x, `select to_jsonb(public.bind_referrer($1))`, [code]));
  const ok = results.filter((r) => r.ok);
  expect(ok).toHaveLength(1);
  expect(results.filter((r) => !r.ok).map((r: any) => r.error.message)).toEqual(Array(7).fill('already_bound'));
  const { rows } = await db.admin.query(`select referrer_id from rebate.referrals where member_id = $1`, [x]);
  expect(rows).toHaveLength(1);
  expect(referrers[codes.indexOf(codes[results.findIndex((r) => r.ok)])]).toBe(rows[0].referrer_id);
});

test('racing binds that would close a cycle: at most one of them lands', async () => {
  for (let round = 0; round < 5; round++) {
    const [p, q, r] = await createMembers(db, 3);
    // p ← q ← r would be closed by p binding to r while r binds to p... race every pair at once
    const jobs: Array<[string, string]> = [[q, p], [r, q], [p, r]];
    const results = await concurrently(3, jobs, ([m, ref]) => bind(db, m, ref));
    expect(results.filter((x) => x.ok).length).toBe(2);
    expect(results.filter((x) => !x.ok).map((x: any) => x.error.message)).toEqual(['referral_cycle']);
  }
  expect((await reconcile(db)).filter((r: any) => r.check_name === 'referral_cycle')).toEqual([]);
});

test('team view: direct and indirect referees, masked, newest first, with counts', async () => {
  const [top, d1, d2, i1, i2, i3, deep] = await createMembers(db, 7);
  await db.admin.query(`update rebate.members set nickname = '张三丰' where id = $1`, [d1]);
  await db.admin.query(`update rebate.members set nickname = 'Alice' where id = $1`, [i1]);
  await bind(db, d1, top);
  await bind(db, d2, top);
  await bind(db, i1, d1);
  await bind(db, i2, d1);
  await bind(db, i3, d2);
  await bind(db, deep, i1);    // depth 3: not in the team view
  const direct = await db.call('authenticated', top, `select * from public.my_team(1)`);
  expect(direct.map((r: any) => [r.depth, r.nickname_masked, r.via_nickname_masked, r.reward_fen]))
    .toEqual([[1, '会**', null, '0'], [1, '张**', null, '0']]);
  const indirect = await db.call('authenticated', top, `select * from public.my_team(2)`);
  expect(indirect.map((r: any) => [r.nickname_masked, r.via_nickname_masked]))
    .toEqual([['会**', '会**'], ['会**', '张**'], ['A**', '张**']]);
  const page = await db.call('authenticated', top, `select * from public.my_team(2, $1, 1)`, [indirect[0].referral_id]);
  expect(page.map((r: any) => r.referral_id)).toEqual([indirect[1].referral_id]);
  const summary = await rpc(db, top, `select to_jsonb(public.my_team_summary())`);
  expect(summary).toMatchObject({ direct_count: 2, indirect_count: 3, team_level: null,
    rewards: { direct_fen: 0, indirect_fen: 0, level_diff_fen: 0, merchant_recruit_fen: 0, dividend_fen: 0, total_fen: 0 } });
  expect(await rpc(db, top, `select to_jsonb(public.my_invite())`)).toMatchObject({ invited_count: 2, indirect_count: 3 });
  await expectDbError(db.call('authenticated', top, `select * from public.my_team(3)`), 'invalid_depth');
  await expectDbError(db.call('authenticated', top, `select * from public.my_team(1, null, 0)`), 'invalid_limit');
  // a referee sees nobody above through my_team
  expect(await db.call('authenticated', d1, `select * from public.my_team(2)`)).toHaveLength(1);
});

test('admin: team levels and member levels, refused to members', async () => {
  const [admin, m] = await createMembers(db, 2);
  await db.admin.query(`update rebate.members set is_admin = true where id = $1`, [admin]);
  await expectDbError(rpc(db, m, `select public.admin_upsert_team_level('{"id": 50, "name": "x"}')`), 'forbidden_role');
  const lvl = await rpc(db, admin, `select public.admin_upsert_team_level($1::jsonb)`,
    [JSON.stringify({ id: 50, name: '金牌', rank: 50, diff_bps: 800, dividend_weight: 2, can_recruit_merchants: true })]);
  expect(lvl).toMatchObject({ id: 50, name: '金牌', rank: 50, diff_bps: 800, dividend_weight: 2, can_recruit_merchants: true });
  expect(await rpc(db, admin, `select public.admin_upsert_team_level('{"id": 50, "diff_bps": 900}')`))
    .toMatchObject({ name: '金牌', diff_bps: 900, dividend_weight: 2 });
  for (const bad of [{ id: 0, name: 'x' }, { id: 51 }, { id: 51, name: '' }, { id: 51, name: 'x', diff_bps: 10001 },
                     { id: 51, name: 'x', colour: 1 }, { id: 51, name: 'x', can_recruit_merchants: 'yes' }]) {
    await expectDbError(rpc(db, admin, `select public.admin_upsert_team_level($1::jsonb)`, [JSON.stringify(bad)]), 'invalid_team_level');
  }
  await expectDbError(rpc(db, admin, `select public.admin_upsert_team_level('{"id": 51, "name": "y", "rank": 50}')`), 'team_level_rank_taken');
  const code = await memberCode(db, m);
  await expectDbError(rpc(db, admin, `select public.admin_set_member_team_level('NOPE', 50::smallint)`), 'member_not_found');
  await expectDbError(rpc(db, admin, `select public.admin_set_member_team_level($1, 99::smallint)`, [code]), 'team_level_not_found');
  await rpc(db, admin, `select public.admin_set_member_team_level($1, 50::smallint)`, [code]);
  expect(await rpc(db, m, `select to_jsonb(public.my_invite())`)).toMatchObject({ can_invite_merchants: true, team_level: { id: 50 } });
  expect(await rpc(db, admin, `select public.admin_member_referral($1)`, [code])).toMatchObject({ member_code: code, team_level: { id: 50 } });
  const levels = await db.call('authenticated', m, `select * from public.list_team_levels()`);
  expect(levels.find((l: any) => l.id === 50)).toMatchObject({ name: '金牌', member_count: '1' });
  await rpc(db, admin, `select public.admin_set_member_team_level($1, null)`, [code]);
  expect(await rpc(db, m, `select to_jsonb(public.my_invite())`)).toMatchObject({ can_invite_merchants: false, team_level: null });
});

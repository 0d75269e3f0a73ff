// Merchant onboarding (SPEC §11): merchant invite codes (a promoter's or the platform's), the
// application, the admin's approval (store, cashier, owner, recruiter) or rejection with a reason,
// the owner's view of their own store only, RLS, and the store/cashier settings of the admin.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { createMembers, createOrder, createProduct, enableRebate, pay, reconcile } from '../helpers/engine';
import { commission, createTeamLevel, makeAdmin, memberCode, rpc, setRewardSettings, setTeamLevel } from '../helpers/referral';

let db: TestDb;
let admin: string;
let promoter: string;
let merchant: string;
let other: string;
let buyer: string;
let promoterCode: string;

beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db, { extraction_bps: 1000 });
  [admin, promoter, merchant, other, buyer] = await createMembers(db, 5);
  await makeAdmin(db, admin);
  await createTeamLevel(db, { id: 1, name: '招商经理', canRecruit: true });
  await createTeamLevel(db, { id: 2, name: '推广员' });
  await setTeamLevel(db, promoter, 1);
  promoterCode = await memberCode(db, promoter);
});
afterAll(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

const apply = (member: string, code: string, over: Record<string, string | null> = {}) => {
  const a = { store_name: '老王烧烤', contact_name: '王师傅', contact_phone: '13800138000', address: '中山路 1 号',
    licence_no: '91330100MA2XXXXX1Y', ...over };
  return rpc(db, member, `select to_jsonb(public.submit_merchant_application($1, $2, $3, $4, $5, $6))`,
    [code, a.store_name, a.contact_name, a.contact_phone, a.address, a.licence_no]);
};

test('merchant invite codes: a recruiting promoter\'s member code, or an active platform code', async () => {
  const [plain] = await createMembers(db, 1);
  await setTeamLevel(db, plain, 2);          // a team level that may not recruit
  await expectDbError(rpc(db, merchant, `select public.merchant_invite_info($1)`, [await memberCode(db, plain)]), 'invalid_merchant_invite');
  await expectDbError(rpc(db, merchant, `select public.merchant_invite_info('x')`), 'invalid_merchant_invite');
  expect(await rpc(db, merchant, `select public.merchant_invite_info($1)`, [`m=${promoterCode}`]))
    .toEqual({ invite_code: promoterCode, platform: false, recruiter_nickname_masked: '会**', pending_application: null, latest_application: null });
  // my own 招商码 is refused before the form, as the application would be
  await expectDbError(rpc(db, promoter, `select public.merchant_invite_info($1)`, [promoterCode]), 'self_invite');

  await expectDbError(rpc(db, promoter, `select public.admin_create_merchant_invite_code('地推')`), 'forbidden_role');
  const pc = await rpc(db, admin, `select public.admin_create_merchant_invite_code('地推活动')`);
  expect(pc).toMatchObject({ label: '地推活动', active: true, scene: `m=${pc.code}`, page: 'packages/invite/join/index' });
  expect(pc.code).toMatch(/^P[A-Z0-9]{9}$/);
  expect(await rpc(db, merchant, `select public.merchant_invite_info($1)`, [pc.code]))
    .toMatchObject({ platform: true, recruiter_nickname_masked: null });
  await rpc(db, admin, `select public.admin_set_merchant_invite_code_active($1, false)`, [pc.code]);
  await expectDbError(rpc(db, merchant, `select public.merchant_invite_info($1)`, [pc.code]), 'invalid_merchant_invite');
  // a platform admin's own code invites for the platform (no recruiter, no recruit reward)
  const adminCode = await memberCode(db, admin);
  expect(await rpc(db, admin, `select to_jsonb(public.my_invite())`)).toMatchObject({ can_invite_merchants: true, merchant_invite_code: adminCode });
  expect(await rpc(db, merchant, `select public.merchant_invite_info($1)`, [adminCode]))
    .toMatchObject({ platform: true, recruiter_nickname_masked: null });
  const codes = await db.call('authenticated', admin, `select * from public.admin_list_merchant_invite_codes()`);
  expect(codes).toEqual([expect.objectContaining({ code: pc.code, active: false, application_count: '0' })]);
});

test('the application is validated; one pending application at a time; no self-invite', async () => {
  const [applicant] = await createMembers(db, 1);
  await expectDbError(apply(applicant, 'NOPE1234'), 'invalid_merchant_invite');
  await expectDbError(apply(promoter, promoterCode), 'self_invite');
  const bad: Array<[Record<string, string | null>, string]> = [
    [{ store_name: '' }, 'invalid_store_name'],
    [{ store_name: 'x'.repeat(41) }, 'invalid_store_name'],
    [{ contact_name: ' ' }, 'invalid_contact_name'],
    [{ contact_phone: '12345' }, 'invalid_contact_phone'],
    [{ contact_phone: '23800138000' }, 'invalid_contact_phone'],
    [{ address: '' }, 'invalid_address'],
    [{ licence_no: null }, 'invalid_licence_no'],
    [{ licence_no: '123' }, 'invalid_licence_no'],
  ];
  for (const [over, code] of bad) await expectDbError(apply(applicant, promoterCode, over), code);
  // landline and a lower-case licence with spaces are accepted (normalised)
  const a = await apply(applicant, `m=${promoterCode}`, { contact_phone: '0571-88886666', licence_no: '91330100ma2xxxxx1y ' });
  expect(a).toMatchObject({ status: 'pending', status_label: '审核中', licence_no: '91330100MA2XXXXX1Y', contact_phone: '0571-88886666',
    invite_code: promoterCode, platform_invite: false, store_id: null });
  await expectDbError(apply(applicant, promoterCode, { store_name: '第二家' }), 'application_pending');
  expect(await rpc(db, applicant, `select public.merchant_invite_info($1)`, [promoterCode]))
    .toMatchObject({ pending_application: { application_id: a.application_id }, latest_application: { application_id: a.application_id, status_label: '审核中' } });
  // the function without p_licence_no (older clients) still reaches the validation
  await expectDbError(rpc(db, other, `select to_jsonb(public.submit_merchant_application($1, '店', '人', '13800138000', '址'))`, [promoterCode]),
    'invalid_licence_no');
});

test('the admin rejects with a reason; the applicant may apply again', async () => {
  const [applicant] = await createMembers(db, 1);
  const a = await apply(applicant, promoterCode, { store_name: '小李面馆' });
  await expectDbError(rpc(db, applicant, `select public.admin_reject_merchant_application($1, 'x')`, [a.application_id]), 'forbidden_role');
  await expectDbError(rpc(db, admin, `select public.admin_reject_merchant_application($1, ' ')`, [a.application_id]), 'invalid_reason');
  const r = await rpc(db, admin, `select public.admin_reject_merchant_application($1, '营业执照不清晰')`, [a.application_id]);
  expect(r).toMatchObject({ status: 'rejected', reject_reason: '营业执照不清晰' });
  await expectDbError(rpc(db, admin, `select public.admin_approve_merchant_application($1)`, [a.application_id]), 'application_not_pending');
  await expectDbError(rpc(db, admin, `select public.admin_reject_merchant_application($1, 'again')`, [a.application_id]), 'application_not_pending');
  // a re-scan shows the rejection and its reason; nothing is pending
  expect(await rpc(db, applicant, `select public.merchant_invite_info($1)`, [promoterCode]))
    .toMatchObject({ pending_application: null, latest_application: { application_id: a.application_id, status: 'rejected', reject_reason: '营业执照不清晰' } });
  const mine = await rpc(db, applicant, `select public.my_merchant_applications()`);
  expect(mine).toEqual([expect.objectContaining({ application_id: a.application_id, status: 'rejected', status_label: '已驳回' })]);
  const { rows } = await db.admin.query(`select body from rebate.messages where member_id = $1 and kind = 'merchant_rejected'`, [applicant]);
  expect(rows[0].body).toBe('门店「小李面馆」的入驻申请未通过：营业执照不清晰');
  expect((await apply(applicant, promoterCode)).status).toBe('pending');
});

test('approval creates the store, its cashier and queues; the owner pays out to the recruiter through the cashier', async () => {
  await setRewardSettings(db, { merchant_recruit_bps: 300 });
  const a = await apply(merchant, promoterCode, { store_name: '老王烧烤' });
  const list = await db.call('authenticated', admin, `select * from public.admin_list_merchant_applications('pending')`);
  expect(list.find((x: any) => x.application_id === String(a.application_id)))
    .toMatchObject({ store_name: '老王烧烤', recruiter_member_code: promoterCode, applicant_nickname: '会员3' });
  await expectDbError(rpc(db, merchant, `select public.admin_approve_merchant_application($1)`, [a.application_id]), 'forbidden_role');
  const ok = await rpc(db, admin, `select public.admin_approve_merchant_application($1)`, [a.application_id]);
  expect(ok).toMatchObject({ status: 'approved', replayed: false, store: { name: '老王烧烤', status: 'approved',
    owner_member_id: merchant, recruiter_member_id: promoter, cashier: { page: 'packages/cashier/index' } } });
  const { store } = ok;
  expect(store.store_code).toMatch(/^ST[A-Z0-9]{8}$/);
  expect(store.cashier.cashier_code).toMatch(/^C[A-Z0-9]{9}$/);
  expect(store.cashier.scene).toBe(`c=${store.cashier.cashier_code}`);
  expect(await rpc(db, merchant, `select public.merchant_invite_info($1)`, [promoterCode]))
    .toMatchObject({ pending_application: null, latest_application: { status: 'approved', status_label: '已通过', store_id: ok.store.store_id } });
  const again = await rpc(db, admin, `select public.admin_approve_merchant_application($1)`, [a.application_id]);
  expect(again).toMatchObject({ replayed: true, store: { store_id: store.store_id } });
  const { rows: queues } = await db.admin.query(
    `select scope from rebate.queues where store_id = $1 or cashier_id = $2 order by scope`, [store.store_id, store.cashier.cashier_id]);
  expect(queues.map((q) => q.scope)).toEqual(['cashier', 'store']);

  // the owner sees the store and its cashier code; a member can pay at the cashier
  expect(await rpc(db, merchant, `select public.my_stores()`)).toEqual([store]);
  const stores = await db.call('authenticated', buyer, `select * from public.list_stores()`);
  expect(stores.find((s: any) => s.id === String(store.store_id))).toMatchObject({ cashier_code: store.cashier.cashier_code });
  const o = await createOrder(db, buyer, { channel: 'cashier', store_id: store.store_id, amount_fen: 8800 });
  await pay(db, o);
  expect(await commission(db, promoter)).toBe(264);   // 3% of 88.00

  const orders = await db.call('authenticated', merchant, `select * from public.store_orders($1)`, [store.store_id]);
  expect(orders.map((x: any) => [x.order_no, x.channel, x.status, x.buyer_nickname_masked, x.pay_fen, x.first_item]))
    .toEqual([[o.order_no, 'cashier', 'paid', '会**', '8800', '收银台买单']]);
  const stats = await rpc(db, merchant, `select public.store_queue_stats($1)`, [store.store_id]);
  expect(stats).toMatchObject({ store_id: store.store_id, orders: { paid_count: 1, paid_fen: 8800, today_paid_count: 1, cashier_paid_count: 1 } });
  expect(stats.queues.map((q: any) => [q.scope, q.joined_count, q.entry_count, q.waiting_count, q.waiting_remaining_fen]))
    .toEqual([['store', 0, 0, 0, 0], ['cashier', 1, 1, 1, 8800]]);

  // only their own store: another member (even another owner) gets store_not_found
  await expectDbError(db.call('authenticated', other, `select * from public.store_orders($1)`, [store.store_id]), 'store_not_found');
  await expectDbError(rpc(db, other, `select public.store_queue_stats($1)`, [store.store_id]), 'store_not_found');
  expect(await rpc(db, other, `select public.my_stores()`)).toEqual([]);
  // the admin may look at any store
  expect((await rpc(db, admin, `select public.store_queue_stats($1)`, [store.store_id])).store_id).toBe(store.store_id);
  const { rows: msg } = await db.admin.query(`select title from rebate.messages where member_id = $1 and kind = 'merchant_approved'`, [merchant]);
  expect(msg).toEqual([{ title: '入驻申请已通过' }]);
});

test('row-level security: with table access granted, an owner would see only their own store and applications', async () => {
  const [owner2] = await createMembers(db, 1);
  const a = await apply(owner2, promoterCode, { store_name: '二号店' });
  const { store } = await rpc(db, admin, `select public.admin_approve_merchant_application($1)`, [a.application_id]);
  await rpc(db, admin, `select public.admin_update_store($1, '{"status": "suspended"}')`, [store.store_id]);
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`grant usage on schema rebate to authenticated`);
    await c.query(`grant select on rebate.stores, rebate.merchant_applications, rebate.referrals, rebate.rewards,
                   rebate.withdrawals, rebate.promoters to authenticated`);
    const as = async (member: string) => c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
      [JSON.stringify({ role: 'authenticated', sub: member })]);
    await as(owner2);
    const visible = (await c.query(`select id::int, status, owner_member_id from rebate.stores`)).rows;
    // a suspended store is visible only to its owner
    expect(visible.filter((s) => s.status !== 'approved')).toEqual([{ id: store.store_id, status: 'suspended', owner_member_id: owner2 }]);
    expect((await c.query(`select applicant_id from rebate.merchant_applications`)).rows.every((r) => r.applicant_id === owner2)).toBe(true);
    await as(other);
    expect((await c.query(`select id from rebate.stores where id = $1`, [store.store_id])).rows).toEqual([]);
    expect((await c.query(`select 1 from rebate.merchant_applications`)).rows).toEqual([]);
  } finally {
    await c.query('rollback');
    c.release();
  }
});

test('the admin edits store and cashier settings, validated', async () => {
  const a = await apply(other, promoterCode, { store_name: '三号店' });
  const { store } = await rpc(db, admin, `select public.admin_approve_merchant_application($1)`, [a.application_id]);
  await expectDbError(rpc(db, other, `select public.admin_update_store($1, '{"name": "x"}')`, [store.store_id]), 'forbidden_role');
  for (const [patch, code] of [[{}, 'invalid_settings'], [{ colour: 1 }, 'invalid_settings'], [{ name: '' }, 'invalid_setting'],
    [{ status: 'closed' }, 'invalid_setting'], [{ extraction_bps: 10001 }, 'invalid_setting'], [{ reward_bps: -1 }, 'invalid_setting'],
    [{ rebate_enabled: 1 }, 'invalid_setting']] as Array<[unknown, string]>) {
    await expectDbError(rpc(db, admin, `select public.admin_update_store($1, $2::jsonb)`, [store.store_id, JSON.stringify(patch)]), code);
  }
  await expectDbError(rpc(db, admin, `select public.admin_update_store(999999, '{"name": "x"}')`), 'store_not_found');
  const s = await rpc(db, admin, `select public.admin_update_store($1, $2::jsonb)`,
    [store.store_id, JSON.stringify({ name: '三号店（新）', rebate_enabled: false, extraction_bps: 2000, reward_bps: 15000 })]);
  expect(s).toMatchObject({ name: '三号店（新）', rebate_enabled: false, extraction_bps: 2000, reward_bps: 15000 });
  const c = await rpc(db, admin, `select public.admin_update_cashier($1, $2::jsonb)`,
    [store.cashier.cashier_id, JSON.stringify({ extraction_bps: 3000, reward_bps: null })]);
  expect(c.cashier).toMatchObject({ extraction_bps: 3000, reward_bps: null, rebate_enabled: true });
  await expectDbError(rpc(db, admin, `select public.admin_update_cashier($1, '{"name": "x"}')`, [store.cashier.cashier_id]), 'invalid_settings');
  await expectDbError(rpc(db, admin, `select public.admin_update_cashier(999999, '{"reward_bps": 1}')`), 'cashier_not_found');
  // the cashier's own extraction ratio now applies to its payments
  const o = await createOrder(db, buyer, { channel: 'cashier', store_id: store.store_id, amount_fen: 10000 });
  await pay(db, o);
  const { rows } = await db.admin.query(`select l.extraction_bps, l.extraction_fen::int from rebate.order_lines l
    join rebate.orders o on o.id = l.order_id where o.order_no = $1`, [o.order_no]);
  expect(rows).toEqual([{ extraction_bps: 3000, extraction_fen: 3000 }]);
  const all = await rpc(db, admin, `select public.admin_list_stores()`);
  expect(all.map((x: any) => x.store_id)).toContain(store.store_id);
});

test('我的门店: my_store_dashboards shows status, cashier code, sales by channel and the store\'s own queues; me() counts my stores', async () => {
  const { rows: [{ id: owner }] } = await db.admin.query(`select gen_random_uuid() as id`);
  await db.admin.query(`insert into auth.users (id) values ($1); insert into rebate.members (id, openid, member_code, nickname) values ($1, 'dash-owner', 'DASH0001', '店主')`.replace(/\$1/g, `'${owner}'`));
  const [buyer] = await createMembers(db, 1);
  const { rows: [{ id: storeId }] } = await db.admin.query(
    `insert into rebate.stores (code, name, status, owner_member_id) values ('DASH01', '仪表门店', 'approved', $1) returning id::int`, [owner]);
  await db.admin.query(`insert into rebate.cashiers (store_id, code) values ($1, 'DASHC1')`, [storeId]);
  const online = await createProduct(db, { storeId, priceFen: 3000 });
  const o1 = await createOrder(db, buyer, { channel: 'store', store_id: storeId, lines: [{ product_id: online, quantity: 2 }] });
  await pay(db, o1);
  const o2 = await createOrder(db, buyer, { channel: 'cashier', store_id: storeId, amount_fen: 1234 });
  await pay(db, o2);
  const [d] = (await db.call('authenticated', owner, `select to_jsonb(x) as d from public.my_store_dashboards() x`)).map((r: any) => r.d);
  expect(d).toMatchObject({ store_id: storeId, name: '仪表门店', status: 'approved', status_label: '营业中', cashier_code: 'DASHC1',
    cashier_scene: 'c=DASHC1', online: { today_count: 1, today_fen: 6000, d30_count: 1, d30_fen: 6000 },
    cashier: { today_count: 1, today_fen: 1234, d30_count: 1, d30_fen: 1234 } });
  expect(d.queues.length).toBeGreaterThanOrEqual(1);
  expect(d.queues.every((q: any) => q.waiting_count >= 0)).toBe(true);
  const [me] = await db.call('authenticated', owner, `select store_count from public.me()`);
  expect(me.store_count).toBe(1);
  expect(await db.call('authenticated', buyer, `select * from public.my_store_dashboards()`)).toEqual([]);
});

test('招商: my_recruited_merchants lists the applications made with my 招商码, newest first, with status and the recruit rewards each store paid me', async () => {
  const rows = await db.call('authenticated', promoter, `select * from public.my_recruited_merchants()`);
  const ids = rows.map((r: any) => Number(r.application_id));
  expect(ids).toEqual([...ids].sort((a, b) => b - a));
  const byName = (name: string) => rows.filter((r: any) => r.store_name === name);
  // 老王烧烤 (approved): one cashier payment of ¥88.00 at 3% → ¥2.64
  expect(byName('老王烧烤').find((r: any) => r.status === 'approved'))
    .toMatchObject({ status_label: '已通过', store_status: 'approved', reward_count: '1', reward_fen: '264', applicant_nickname_masked: '会**' });
  // 三号店: ¥100.00 at the cashier, 3% → ¥3.00
  expect(byName('三号店')[0]).toMatchObject({ status: 'approved', reward_count: '1', reward_fen: '300' });
  expect(byName('二号店')[0]).toMatchObject({ status: 'approved', store_status: 'suspended', reward_fen: '0' });
  expect(byName('小李面馆')[0]).toMatchObject({ status: 'rejected', status_label: '已驳回', store_id: null, reward_count: '0', reward_fen: '0' });
  expect(rows.some((r: any) => r.status === 'pending' && r.status_label === '审核中')).toBe(true);
  // no contact details leave the platform
  expect(Object.keys(rows[0]).sort()).toEqual(['applicant_nickname_masked', 'application_id', 'applied_at', 'decided_at', 'reward_count',
    'reward_fen', 'status', 'status_label', 'store_id', 'store_name', 'store_status']);
  // keyset paging
  const page2 = await db.call('authenticated', promoter, `select application_id from public.my_recruited_merchants($1, 2)`, [ids[1]]);
  expect(page2.map((r: any) => Number(r.application_id))).toEqual(ids.slice(2, 4));
  await expectDbError(db.call('authenticated', promoter, `select * from public.my_recruited_merchants(null, 0)`), 'invalid_limit');
  // nobody else's
  expect(await db.call('authenticated', buyer, `select * from public.my_recruited_merchants()`)).toEqual([]);
  const sum = rows.reduce((s: number, r: any) => s + Number(r.reward_fen), 0);
  const [summary] = await db.call('authenticated', promoter, `select (public.my_team_summary()).rewards.merchant_recruit_fen as fen`);
  expect(Number(summary.fen)).toBe(sum);
});

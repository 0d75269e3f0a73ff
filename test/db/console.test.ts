// The operators' console (SPEC §15): roles checked in every console RPC (allowed and refused for
// each role), audit rows written in the same transaction, scan-login tickets, and the manual
// corrections keeping reconcile() clean.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createOrder, createProduct, createStore, enableRebate, grantBalance, pay, reconcile } from '../helpers/engine';
import { memberCode, rpc } from '../helpers/referral';

let db: TestDb;
let admin: string;
let ops: string;
let fin: string;
let owner: string;
let plain: string;
let storeId: number;
let otherStoreId: number;

async function grant(member: string, role: string, store: number | null = null) {
  await rpc(db, admin, `select public.admin_grant_role($1, $2, $3, '测试')`, [await memberCode(db, member), role, store]);
}
async function audits(action: string) {
  return (await db.admin.query(`select * from rebate.audit_log where action = $1 order by id`, [action])).rows;
}

beforeAll(async () => {
  db = await createTestDb();
  [admin, ops, fin, owner, plain] = await createMembers(db, 5);
  await db.admin.query(`update rebate.members set is_admin = true where id = $1`, [admin]);
  await enableRebate(db, { merchant_queue: true });
  ({ storeId } = await createStore(db));
  ({ storeId: otherStoreId } = await createStore(db));
  await db.admin.query(`update rebate.stores set owner_member_id = $2 where id = $1`, [storeId, owner]);
  await grant(ops, 'operations');
  await grant(fin, 'finance');
});
afterAll(async () => { await db.close(); });

describe('roles', () => {
  test('is_admin members are 超级管理员; the store owner holds 店主 of its store; console_me tells each its roles', async () => {
    expect(await rpc(db, admin, `select public.console_me()`)).toMatchObject({ roles: ['admin'] });
    expect(await rpc(db, ops, `select public.console_me()`)).toMatchObject({ roles: ['operations'] });
    expect(await rpc(db, fin, `select public.console_me()`)).toMatchObject({ roles: ['finance'] });
    expect(await rpc(db, owner, `select public.console_me()`)).toMatchObject({ roles: ['store_owner'], stores: [{ store_id: storeId }] });
    await expectDbError(rpc(db, plain, `select public.console_me()`), 'forbidden_role');
  });

  test('only the admin grants and removes roles; both are audited; the last admin stays', async () => {
    const code = await memberCode(db, plain);
    for (const m of [ops, fin, owner, plain]) {
      await expectDbError(rpc(db, m, `select public.admin_grant_role($1, 'finance')`, [code]), 'forbidden_role');
      await expectDbError(rpc(db, m, `select public.admin_list_roles()`), 'forbidden_role');
    }
    await expectDbError(rpc(db, admin, `select public.admin_grant_role($1, 'store_owner')`, [code]), 'invalid_role_store');
    await expectDbError(rpc(db, admin, `select public.admin_grant_role($1, 'boss')`, [code]), 'invalid_role');
    await expectDbError(rpc(db, admin, `select public.admin_grant_role('NOPE0000', 'finance')`), 'member_not_found');
    const g = await rpc(db, admin, `select public.admin_grant_role($1, 'finance', null, '新财务')`, [code]);
    expect(await audits('role.grant')).toEqual(expect.arrayContaining([
      expect.objectContaining({ actor_id: admin, object_id: plain, reason: '新财务', after: expect.objectContaining({ role: 'finance' }) })]));
    await rpc(db, admin, `select public.admin_revoke_role($1, '调岗')`, [g.role_id]);
    expect((await audits('role.revoke')).at(-1)).toMatchObject({ object_id: plain, before: { role: 'finance' }, reason: '调岗' });
    await expectDbError(rpc(db, plain, `select public.console_me()`), 'forbidden_role');
    const adminRole = (await db.admin.query(`select id from rebate.staff_roles where member_id = $1 and role = 'admin'`, [admin])).rows[0].id;
    await expectDbError(rpc(db, admin, `select public.admin_revoke_role($1)`, [adminRole]), 'last_admin');
    // granting admin sets is_admin (one fact), and require_admin follows the role
    await rpc(db, admin, `select public.admin_grant_role($1, 'admin')`, [code]);
    expect((await db.admin.query(`select is_admin from rebate.members where id = $1`, [plain])).rows[0].is_admin).toBe(true);
    const r = (await db.admin.query(`select id from rebate.staff_roles where member_id = $1 and role = 'admin'`, [plain])).rows[0].id;
    await rpc(db, admin, `select public.admin_revoke_role($1)`, [r]);
    expect((await db.admin.query(`select is_admin from rebate.members where id = $1`, [plain])).rows[0].is_admin).toBe(false);
  });

  test('the audit log is append-only', async () => {
    await expectDbError(db.admin.query(`update rebate.audit_log set reason = 'x'`), /append.only|never changed/i);
    await expectDbError(db.admin.query(`delete from rebate.audit_log`), /append.only|never changed/i);
  });
});

describe('console RPCs by role', () => {
  // [sql, roles allowed besides admin]
  const CASES: Array<[string, string[]]> = [
    [`select public.console_dashboard()`, ['operations', 'finance']],
    [`select public.console_list_orders()`, ['operations', 'finance', 'store_owner']],
    [`select public.console_list_members()`, ['operations', 'finance']],
    [`select public.console_list_queues()`, ['operations', 'finance', 'store_owner']],
    [`select public.console_list_entries(1)`, ['operations', 'finance']],
    [`select public.console_entry_sources(1)`, ['operations', 'finance']],
    [`select public.console_list_audit()`, ['operations', 'finance']],
    [`select public.admin_list_withdrawals()`, ['operations', 'finance']],
    [`select public.admin_list_merchant_applications()`, ['operations', 'finance']],
    [`select public.admin_get_settings()`, ['operations', 'finance']],
    [`select public.admin_list_roles()`, []],
  ];
  test.each(CASES)('%s', async (sql, allowed) => {
    const who: Record<string, string> = { admin, operations: ops, finance: fin, store_owner: owner, member: plain };
    for (const [role, m] of Object.entries(who)) {
      const p = db.call('authenticated', m, sql);
      if (role === 'admin' || allowed.includes(role)) await expect(p).resolves.toBeDefined();
      else await expectDbError(p, 'forbidden_role');
    }
  });

  test('changes: operations changes settings and approves merchants, cannot approve withdrawals; finance the reverse', async () => {
    await expectDbError(rpc(db, fin, `select public.admin_update_settings('{"extraction_bps": 2000}')`), 'forbidden_role');
    await expectDbError(rpc(db, owner, `select public.admin_update_settings('{"extraction_bps": 2000}')`), 'forbidden_role');
    await rpc(db, ops, `select public.admin_update_settings('{"extraction_bps": 2000}', '活动')`);
    expect((await audits('settings.update')).at(-1)).toMatchObject({
      actor_id: ops, actor_roles: ['operations'], object_type: 'settings', before: { extraction_bps: 1000 }, after: { extraction_bps: 2000 }, reason: '活动' });
    // a refused change writes nothing
    await expectDbError(rpc(db, ops, `select public.admin_update_settings('{"extraction_bps": 20000}')`), 'invalid_setting');
    expect((await audits('settings.update')).length).toBe(1);

    const [m] = await createMembers(db, 1);
    await grantBalance(db, m, 'cash', 10000);
    const w1 = await rpc(db, m, `select to_jsonb(public.request_withdrawal('cash', 1000))`);
    const w2 = await rpc(db, m, `select to_jsonb(public.request_withdrawal('cash', 1000))`);
    await expectDbError(rpc(db, ops, `select public.admin_approve_withdrawal($1, 'T1')`, [w1.withdrawal_id]), 'forbidden_role');
    await expectDbError(rpc(db, owner, `select public.admin_reject_withdrawal($1, 'x')`, [w1.withdrawal_id]), 'forbidden_role');
    await rpc(db, fin, `select public.admin_approve_withdrawal($1, 'T1')`, [w1.withdrawal_id]);
    await rpc(db, fin, `select public.admin_reject_withdrawal($1, '信息不符')`, [w2.withdrawal_id]);
    expect((await audits('withdrawal.approve')).at(-1)).toMatchObject({ actor_id: fin, object_id: String(w1.withdrawal_id), after: { status: 'approved' } });
    expect((await audits('withdrawal.reject')).at(-1)).toMatchObject({ actor_id: fin, reason: '信息不符', after: { status: 'rejected' } });
    expect(await reconcile(db)).toEqual([]);
  });

  test('a store owner sees only its own stores\' orders and queues', async () => {
    const [buyer] = await createMembers(db, 1);
    const p = await createProduct(db, { storeId });
    const q = await createProduct(db, { storeId: otherStoreId });
    await pay(db, await createOrder(db, buyer, { channel: 'store', lines: [{ product_id: p, quantity: 1 }] }));
    await pay(db, await createOrder(db, buyer, { channel: 'store', lines: [{ product_id: q, quantity: 1 }] }));
    const mine = await rpc(db, owner, `select public.console_list_orders()`);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((o: any) => o.store_id === storeId)).toBe(true);
    expect(mine[0].nickname).toMatch(/\*\*$/);
    const all = await rpc(db, ops, `select public.console_list_orders()`);
    expect(all.some((o: any) => o.store_id === otherStoreId)).toBe(true);
    await expectDbError(rpc(db, owner, `select public.console_list_orders(p_store_id => $1)`, [otherStoreId]), 'store_not_found');
    const other = all.find((o: any) => o.store_id === otherStoreId);
    await expectDbError(rpc(db, owner, `select public.console_order_detail($1)`, [other.order_no]), 'order_not_found');
    expect(await rpc(db, ops, `select public.console_order_detail($1)`, [other.order_no])).toMatchObject({ order_no: other.order_no, entries: [expect.objectContaining({ status: 'waiting' })] });
    const queues = await rpc(db, owner, `select public.console_list_queues()`);
    expect(queues.every((x: any) => x.store_id === storeId)).toBe(true);
    // keyset: the second page continues below the first page's last id
    const page1 = await rpc(db, ops, `select public.console_list_orders(p_limit => 1)`);
    const page2 = await rpc(db, ops, `select public.console_list_orders(p_before_id => $1, p_limit => 1)`, [page1[0].order_id]);
    expect(page2[0].order_id).toBeLessThan(page1[0].order_id);
  });
});

describe('manual corrections', () => {
  test('强制出队: operations forces a waiting entry out with a reason; audited; reconcile clean; finance refused', async () => {
    const product = await createProduct(db);
    const [a, b] = await createMembers(db, 2);
    await buy(db, a, product);
    await buy(db, b, product); // pays a part of a's entry
    const e = (await db.admin.query(`select * from rebate.entries where member_id = $1`, [a])).rows[0];
    expect(e.status).toBe('waiting');
    await expectDbError(rpc(db, fin, `select public.console_force_exit_entry($1, '违规')`, [e.id]), 'forbidden_role');
    await expectDbError(rpc(db, ops, `select public.console_force_exit_entry($1, '  ')`, [e.id]), 'reason_required');
    const r = await rpc(db, ops, `select public.console_force_exit_entry($1, '违规刷单')`, [e.id]);
    expect(r).toMatchObject({ status: 'voided', forfeited_fen: Number(e.entitlement_fen) - Number(e.received_fen) });
    await expectDbError(rpc(db, ops, `select public.console_force_exit_entry($1, '再次')`, [e.id]), 'entry_not_waiting');
    expect((await audits('entry.force_exit')).at(-1)).toMatchObject({ actor_id: ops, object_id: String(e.id), reason: '违规刷单' });
    expect(await reconcile(db)).toEqual([]);
    // later orders skip the voided entry
    await buy(db, b, product);
    expect(await reconcile(db)).toEqual([]);
  });

  test('余额调整: finance adjusts through the ledger, never below zero; operations refused; reconcile clean', async () => {
    const [m] = await createMembers(db, 1);
    await expectDbError(rpc(db, ops, `select public.console_adjust_balance($1, 'cash', 100, '补偿')`, [m]), 'forbidden_role');
    await expectDbError(rpc(db, fin, `select public.console_adjust_balance($1, 'cash', 100, '')`, [m]), 'reason_required');
    await expectDbError(rpc(db, fin, `select public.console_adjust_balance($1, 'cash', 0, '补偿')`, [m]), 'invalid_amount');
    await expectDbError(rpc(db, fin, `select public.console_adjust_balance($1, 'gold', 1, '补偿')`, [m]), 'invalid_asset');
    const r = await rpc(db, fin, `select public.console_adjust_balance($1, 'cash', 1234, '活动补偿')`, [m]);
    expect(r).toMatchObject({ balance_before: 0, balance_after: 1234 });
    await expectDbError(rpc(db, fin, `select public.console_adjust_balance($1, 'cash', -2000, '扣回')`, [m]), 'insufficient_cash');
    await rpc(db, admin, `select public.console_adjust_balance($1, 'cash', -234, '扣回多发')`, [m]);
    expect((await db.admin.query(`select cash_fen from rebate.wallets where member_id = $1`, [m])).rows[0].cash_fen).toBe('1000');
    expect((await audits('wallet.adjust')).filter((x) => x.object_id === m).map((x) => x.reason)).toEqual(['活动补偿', '扣回多发']);
    expect(await reconcile(db)).toEqual([]);
  });
});

describe('dashboard and lists', () => {
  test('liability = Σ remaining of waiting entries, per queue and overall, with coverage days; reconcile shown clean', async () => {
    const d = await rpc(db, ops, `select public.console_dashboard()`);
    const owed = (await db.admin.query(`select coalesce(sum(entitlement_fen - received_fen), 0)::bigint as s from rebate.entries where status = 'waiting'`)).rows[0].s;
    expect(String(d.liability.owed_fen)).toBe(owed);
    expect(d.queues.reduce((s: number, q: any) => s + Number(q.owed_fen), 0)).toBe(Number(owed));
    expect(d.reconcile).toMatchObject({ clean: true, findings: 0 });
    expect(d.periods['30'].orders).toBeGreaterThan(0);
    expect(d.trend).toHaveLength(30);
    expect(Number(d.trend[29].owed_fen)).toBe(Number(owed));
    expect(Array.isArray(d.missing_schedules)).toBe(true);
  });

  test('members search, entries in queue order with masked names, audit filtered by person', async () => {
    const code = await memberCode(db, ops);
    expect(await rpc(db, fin, `select public.console_list_members($1)`, [code])).toEqual([expect.objectContaining({ member_code: code, roles: ['operations'] })]);
    const detail = await rpc(db, fin, `select public.console_member_detail($1)`, [ops]);
    expect(detail).toMatchObject({ member_code: code, team: { direct: 0, indirect: 0 } });
    const q = (await rpc(db, ops, `select public.console_list_queues()`)).find((x: any) => x.waiting > 0);
    const es = await rpc(db, ops, `select public.console_list_entries($1, null)`, [q.queue_id]);
    expect(es.map((e: any) => e.seq)).toEqual([...es.map((e: any) => e.seq)].sort((x: number, y: number) => x - y));
    expect(es[0].nickname).toMatch(/\*\*$/);
    const log = await rpc(db, ops, `select public.console_list_audit($1)`, [code]);
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((x: any) => x.member_code === code)).toBe(true);
  });
});

describe('scan login tickets', () => {
  async function create() {
    return (await db.call('service_role', null, `select public.console_ticket_create() as t`))[0].t;
  }
  test('created by the service role only; confirmed by a staff member; redeemed once with the secret', async () => {
    await expectDbError(db.call('anon', null, `select public.console_ticket_create()`), /permission denied/);
    await expectDbError(db.call('authenticated', plain, `select public.console_ticket_create()`), /permission denied/);
    const t = await create();
    const redeem = (secret: string) => db.call('service_role', null, `select public.console_ticket_redeem($1, $2) as r`, [t.ticket, secret]).then((r) => r[0].r);
    expect(await redeem(t.secret)).toMatchObject({ status: 'pending' });
    await expectDbError(rpc(db, plain, `select public.console_ticket_confirm($1)`, [t.ticket]), 'forbidden_role');
    expect(await rpc(db, ops, `select public.console_ticket_info($1)`, [t.ticket])).toMatchObject({ confirmed: false });
    await rpc(db, ops, `select public.console_ticket_confirm($1)`, [t.ticket]);
    await expectDbError(rpc(db, fin, `select public.console_ticket_confirm($1)`, [t.ticket]), 'ticket_used');
    await expectDbError(redeem('0'.repeat(48)), 'ticket_not_found');
    expect(await redeem(t.secret)).toEqual({ status: 'confirmed', member_id: ops });
    await expectDbError(redeem(t.secret), 'ticket_used');
    await expectDbError(rpc(db, ops, `select public.console_ticket_confirm($1)`, [t.ticket]), 'ticket_used');
  });

  test('an expired ticket is refused everywhere', async () => {
    const t = await create();
    await db.admin.query(`update rebate.console_login_tickets set created_at = now() - interval '3 minutes', expires_at = now() - interval '1 minute' where id = $1`, [t.ticket]);
    await expectDbError(rpc(db, ops, `select public.console_ticket_confirm($1)`, [t.ticket]), 'ticket_expired');
    await expectDbError(db.call('service_role', null, `select public.console_ticket_redeem($1, $2)`, [t.ticket, t.secret]), 'ticket_expired');
    await expectDbError(rpc(db, ops, `select public.console_ticket_confirm($1)`, ['00000000-0000-4000-8000-000000000000']), 'ticket_not_found');
  });
});

describe('products and export', () => {
  test('商品: operations creates and edits a product (audited); finance and store owners may not; refusals in Chinese', async () => {
    await expectDbError(rpc(db, fin, `select public.console_save_product(null, '{"name": "茶", "price_fen": 100}')`), 'forbidden_role');
    await expectDbError(rpc(db, owner, `select public.console_save_product(null, '{"name": "茶", "price_fen": 100}')`), 'forbidden_role');
    const err = await expectDbError(rpc(db, ops, `select public.console_save_product(null, '{"name": "茶", "price_fen": 0}')`), 'invalid_price');
    expect(err.hint).toMatch(/价格/);
    const p = await rpc(db, ops, `select public.console_save_product(null, '{"name": "白茶", "price_fen": 8800, "sku": "WHITE-TEA"}')`);
    expect(p).toMatchObject({ name: '白茶', price_fen: 8800, listed: true, rebate_enabled: true });
    await rpc(db, ops, `select public.console_save_product($1, '{"price_fen": 9900, "listed": false}')`, [p.product_id]);
    expect((await audits('product.update')).at(-1)).toMatchObject({ object_id: String(p.product_id), before: { price_fen: 8800, listed: true }, after: { price_fen: 9900, listed: false } });
    expect(await rpc(db, fin, `select public.console_list_products('白茶')`)).toEqual([expect.objectContaining({ product_id: p.product_id, price_fen: 9900 })]);
    await expectDbError(rpc(db, ops, `select public.console_save_product(null, '{"name": "x", "price_fen": 1, "sku": "WHITE-TEA"}')`), 'sku_taken');
  });

  test('导出: pages in id order with the Chinese header; the ledger for finance only', async () => {
    const today = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
    const first = await rpc(db, ops, `select public.console_export_page('orders', $1, $1, 0, 2)`, [today]);
    expect(first.header[1]).toBe('订单号');
    expect(first.rows).toHaveLength(2);
    const next = await rpc(db, ops, `select public.console_export_page('orders', $1, $1, $2, 10000)`, [today, first.last_id]);
    expect(next.rows[0][0]).toBeGreaterThan(first.rows[1][0]);
    expect(next.done).toBe(true);
    await expectDbError(rpc(db, ops, `select public.console_export_page('ledger', $1, $1)`, [today]), 'forbidden_role');
    expect((await rpc(db, fin, `select public.console_export_page('ledger', $1, $1)`, [today])).rows.length).toBeGreaterThan(0);
    await expectDbError(rpc(db, owner, `select public.console_export_page('audit', $1, $1)`, [today]), 'forbidden_role');
    await expectDbError(rpc(db, fin, `select public.console_export_page('orders', $1, '2000-01-01')`, [today]), 'invalid_date_range');
  });
});

describe('refund preview', () => {
  test('退款预览: finance sees the clawback and the refundable amount SPEC §10 computes; it matches the refund; operations refused', async () => {
    const product = await createProduct(db);
    const [b] = await createMembers(db, 1);
    // later orders pay the head of the (shared) queue: buy until a waiting entry has received part of its entitlement
    let first: { order_id: number; order_no: string } | undefined;
    for (let i = 0; i < 30 && !first; i++) {
      await buy(db, b, product);
      first = (await db.admin.query(`select o.id::int as order_id, o.order_no from rebate.entries e join rebate.orders o on o.id = e.order_id
                                      where e.status = 'waiting' and e.received_fen > 0 and o.status = 'paid' order by e.id limit 1`)).rows[0];
    }
    if (!first) throw new Error('no partly paid entry');
    await expectDbError(rpc(db, ops, `select public.console_refund_preview($1)`, [first.order_no]), 'forbidden_role');
    const p = await rpc(db, fin, `select public.console_refund_preview($1)`, [first.order_no]);
    const received = Number((await db.admin.query(`select received_fen from rebate.entries where order_id = $1`, [first.order_id])).rows[0].received_fen);
    expect(received).toBeGreaterThan(0);
    const pay = Number((await db.admin.query(`select pay_fen from rebate.orders where id = $1`, [first.order_id])).rows[0].pay_fen);
    expect(p).toMatchObject({ clawback_fen: Math.min(pay, received), refund_fen: pay - Math.min(pay, received), lines: [expect.objectContaining({ entry_status: 'waiting', received_fen: received })] });
    await expectDbError(rpc(db, fin, `select public.console_refund_preview($1, '{9}')`, [first.order_no]), 'invalid_refund_lines');
    const r = await db.call('service_role', null, `select public.refund_order($1, 'RF-PREVIEW-1', null) as r`, [first.order_no]);
    expect(Number(r[0].r.refund_fen ?? r[0].r.refunded_fen)).toBe(p.refund_fen);
    expect(await reconcile(db)).toEqual([]);
  });
});

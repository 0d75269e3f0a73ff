// What members and admins see: orders, entries with progress, the queue process view,
// "who paid me", wallet and ledger, messages (SPEC §12, §14), and the admin settings RPCs.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import {
  buy, callNum, complete, createMembers, createOrder, createProduct, createStore, enableRebate, entries, expectHealthy,
  grantBalance, mallOrder, pay, refund, setSettings,
} from '../helpers/engine';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await db.close(); });

const asMember = (m: string, sql: string, params: unknown[] = []) => callNum(db, 'authenticated', m, sql, params);

test('my orders and my order: own orders only, newest first, with lines', async () => {
  await enableRebate(db, { merchant_queue: true });
  const p = await createProduct(db, { priceFen: 10000, name: '好物' });
  const [a, b] = await createMembers(db, 2);
  const o1 = await buy(db, a, p);
  const o2 = await createOrder(db, a, mallOrder([[p, 2]]));
  const ob = await buy(db, b, p);
  const list = await asMember(a, `select * from public.my_orders()`);
  expect(list.map((r) => [r.order_no, r.status, r.status_label, r.first_item, r.item_count])).toEqual([
    [o2.order_no, 'pending', '待支付', '好物', 1], [o1.order_no, 'paid', '已支付', '好物', 1],
  ]);
  const page2 = await asMember(a, `select * from public.my_orders(null, $1, 1)`, [list[0].order_id]);
  expect(page2.map((r) => r.order_no)).toEqual([o1.order_no]);
  expect((await asMember(a, `select * from public.my_orders('paid')`)).map((r) => r.order_no)).toEqual([o1.order_no]);
  const [{ o }] = await asMember(a, `select to_jsonb(public.my_order($1)) as o`, [o1.order_id]);
  expect(o).toMatchObject({ order_no: o1.order_no, status: 'paid', lines: [{ line_no: 1, name: '好物', joined: true, entitlement_fen: 10000, entry_status: 'waiting' }] });
  await expectDbError(asMember(a, `select to_jsonb(public.my_order($1))`, [ob.order_id]), 'order_not_found');
  await expectDbError(asMember(a, `select to_jsonb(public.cancel_my_order($1))`, [ob.order_id]), 'order_not_found');
  expect((await asMember(a, `select to_jsonb(public.cancel_my_order($1)) as r`, [o2.order_id]))[0].r).toMatchObject({ status: 'cancelled' });
});

test('my entries with progress; the queue process view with position, amount ahead and masked neighbours', async () => {
  await enableRebate(db, { merchant_queue: true, extraction_bps: 2500 });
  const p = await createProduct(db, { priceFen: 10000 });
  const m = await createMembers(db, 6);
  for (const x of m.slice(0, 5)) await buy(db, x, p);         // m0 has received 100.00 of 100.00 → completed
  await db.admin.query(`update rebate.members set nickname = '张三丰', avatar_url = 'https://a/1.png' where id = $1`, [m[1]]);
  await db.admin.query(`update rebate.members set nickname = '李四' where id = $1`, [m[3]]);

  const mine = await asMember(m[3], `select * from public.my_entries()`);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ seq: 4, status: 'waiting', status_label: '排队中', entitlement_fen: 10000, received_fen: 0, remaining_fen: 10000, progress_bps: 0, rule_label: '默认比例' });
  const e1 = (await asMember(m[1], `select * from public.my_entries()`))[0];
  expect(e1).toMatchObject({ received_fen: 0, remaining_fen: 10000 });
  const e0 = (await asMember(m[0], `select * from public.my_entries()`))[0];
  expect(e0).toMatchObject({ status: 'completed', progress_bps: 10000, remaining_fen: 0 });

  const [{ v }] = await asMember(m[3], `select to_jsonb(public.queue_process($1, 2)) as v`, [mine[0].entry_id]);
  expect(v).toMatchObject({ position: 3, ahead_count: 2, ahead_amount_fen: 20000, queue_name: '商家队列', reward_rule: 'queue_order' });
  expect(v.entry).toMatchObject({ seq: 4, remaining_fen: 10000 });
  expect(v.around.map((x: any) => [x.seq, x.is_mine, x.nickname])).toEqual([[2, false, '张**'], [3, false, '会**'], [4, true, '李四'], [5, false, '会**']]);
  expect(v.around[0]).toMatchObject({ avatar_url: 'https://a/1.png', received_fen: 0, remaining_fen: 10000, entitlement_fen: 10000, status: 'waiting' });
  expect(JSON.stringify(v)).not.toContain(m[1]);                // no member ids of others

  await setSettings(db, { show_member_info: false, show_received: false, show_waiting_amount: false, show_waiting: false });
  const [{ v: hidden }] = await asMember(m[3], `select to_jsonb(public.queue_process($1, 1)) as v`, [mine[0].entry_id]);
  expect(hidden.ahead_amount_fen).toBeNull();
  expect(hidden.around.find((x: any) => !x.is_mine)).toMatchObject({ nickname: null, avatar_url: null, received_fen: null, remaining_fen: null, entitlement_fen: null, status: null });
  expect(hidden.around.find((x: any) => x.is_mine)).toMatchObject({ nickname: '李四', remaining_fen: 10000 });
  await setSettings(db, { show_process: false });
  const [{ v: off }] = await asMember(m[3], `select to_jsonb(public.queue_process($1)) as v`, [mine[0].entry_id]);
  expect(off).toMatchObject({ queue_id: null, queue_name: null, around: [], position: 3 });

  await expectDbError(asMember(m[0], `select to_jsonb(public.queue_process($1))`, [mine[0].entry_id]), 'entry_not_found');
});

test('completed + queue order: the process view counts the eligible entries ahead', async () => {
  await enableRebate(db, { merchant_queue: true, reward_rule: 'completed_queue_order' });
  const p = await createProduct(db);
  const [a, b, c] = await createMembers(db, 3);
  const oa = await buy(db, a, p);
  await buy(db, b, p);
  await buy(db, c, p);
  await complete(db, oa.order_no);
  const ec = (await asMember(c, `select * from public.my_entries()`))[0];
  const [{ v }] = await asMember(c, `select to_jsonb(public.queue_process($1)) as v`, [ec.entry_id]);
  expect(v).toMatchObject({ ahead_count: 2, eligible_ahead_count: 1, ahead_amount_fen: 20000, eligible_ahead_amount_fen: 10000 });
});

test('who paid me: the distributions an entry received, source order and payer masked', async () => {
  await enableRebate(db, { merchant_queue: true });
  const p = await createProduct(db, { name: '茶叶' });
  const [a, b, c] = await createMembers(db, 3);
  await db.admin.query(`update rebate.members set nickname = '王小二' where id = $1`, [b]);
  await buy(db, a, p);
  const ob = await buy(db, b, p);
  await buy(db, c, p);
  const ea = (await asMember(a, `select * from public.my_entries()`))[0];
  const src = await asMember(a, `select * from public.entry_sources($1)`, [ea.entry_id]);
  expect(src.map((s) => [s.amount_fen, s.source_item, s.payer_nickname])).toEqual([[1000, '茶叶', '会**'], [1000, '茶叶', '王**']]);
  expect(src[1].source_order_no).toBe(`${ob.order_no.slice(0, 4)}****${ob.order_no.slice(-4)}`);
  await setSettings(db, { show_member_info: false });
  expect((await asMember(a, `select * from public.entry_sources($1)`, [ea.entry_id]))[0].payer_nickname).toBeNull();
  await expectDbError(asMember(b, `select * from public.entry_sources($1)`, [ea.entry_id]), 'entry_not_found');
});

test('wallet and ledger: balances with their history, before and after, reason labels', async () => {
  await enableRebate(db, { merchant_queue: true });
  const p = await createProduct(db);
  const [a, b] = await createMembers(db, 2);
  await grantBalance(db, a, 'points', 300);
  await buy(db, a, p, 1, { points_fen: 200 });
  await buy(db, b, p);
  const [w] = await asMember(a, `select * from public.my_wallet()`);
  expect(w).toMatchObject({ cash_fen: 1000, points: 100, love_fen: 0, commission_fen: 0 });
  const ledger = await asMember(a, `select * from public.my_ledger()`);
  expect(ledger.map((l) => [l.asset, l.delta, l.balance_before, l.balance_after, l.reason, l.reason_label])).toEqual([
    ['cash', 1000, 0, 1000, 'queue_rebate', '排队返利'],
    ['points', -200, 300, 100, 'order_deduction', '订单抵扣'],
    ['points', 300, 0, 300, 'admin_adjustment', '后台调整'],
  ]);
  expect((await asMember(a, `select * from public.my_ledger('cash')`))).toHaveLength(1);
  expect((await asMember(b, `select * from public.my_ledger()`))).toEqual([]);
  await expectHealthy(db);
});

test('messages: joined, received, completed, voided; listed newest first and marked read', async () => {
  await enableRebate(db, { merchant_queue: true, extraction_bps: 5000, display_name: '共享链' });
  const p = await createProduct(db);
  const [a, b, c] = await createMembers(db, 3);
  const oa = await buy(db, a, p);
  await buy(db, b, p);
  await buy(db, c, p);
  const ob = (await entries(db))[1].order_no;
  await refund(db, ob, 'rf-b');
  const msgA = await asMember(a, `select * from public.my_messages()`);
  expect(msgA.map((x) => [x.kind, x.amount_fen, x.title])).toEqual([
    ['entry_completed', 5000, '共享链已返满'], ['entry_received', 5000, '共享链到账'], ['entry_joined', 10000, '共享链排队成功'],
  ]);
  expect(msgA[2].body).toBe(`订单${oa.order_no}已加入排队，待返权益¥100.00`);
  expect(msgA[1].body).toBe('排队名额收到¥50.00，累计¥50.00/¥100.00');
  const msgB = await asMember(b, `select * from public.my_messages(true)`);
  expect(msgB.map((x) => x.kind)).toEqual(['entry_voided', 'entry_joined']);
  const [{ n }] = await asMember(a, `select public.mark_messages_read($1) as n`, [[msgA[0].id, msgA[1].id]]);
  expect(n).toBe(2);
  expect((await asMember(a, `select * from public.my_messages(true)`)).map((x) => x.kind)).toEqual(['entry_joined']);
  // another member's ids are not touched
  expect((await asMember(b, `select public.mark_messages_read($1) as n`, [[msgA[2].id]]))[0].n).toBe(0);
  expect((await asMember(a, `select public.mark_messages_read() as n`))[0].n).toBe(1);
  expect(await asMember(a, `select * from public.my_messages(true)`)).toEqual([]);
});

test('a failed payment writes no message (same transaction)', async () => {
  await enableRebate(db, { merchant_queue: true });
  const p = await createProduct(db);
  const [a] = await createMembers(db, 1);
  const o = await createOrder(db, a, mallOrder([[p, 1]]));
  await expectDbError(db.call('service_role', null, `select public.mark_order_paid($1, 'r', 1)`, [o.order_no]), 'paid_amount_mismatch');
  expect(await asMember(a, `select * from public.my_messages()`)).toEqual([]);
  await pay(db, o);
  expect((await asMember(a, `select * from public.my_messages()`)).map((x) => x.kind)).toEqual(['entry_joined']);
});

test('catalog for members: display settings, products, stores', async () => {
  await enableRebate(db);
  const s = await createStore(db, { name: '一号店' });
  await createStore(db, { name: '待审店', status: 'pending' });
  const p = await createProduct(db, { name: '商城商品' });
  await createProduct(db, { name: '下架商品', listed: false });
  const sp = await createProduct(db, { name: '门店商品', storeId: s.storeId });
  const [a] = await createMembers(db, 1);
  expect((await asMember(a, `select * from public.rebate_display_settings()`))[0]).toMatchObject({ enabled: true, display_name: '排队返利', exchange_name: '兑换', show_process: true });
  expect((await asMember(a, `select * from public.list_products()`)).map((x) => x.id)).toEqual([p]);
  expect((await asMember(a, `select * from public.list_products($1)`, [s.storeId])).map((x) => x.id)).toEqual([sp]);
  expect((await asMember(a, `select * from public.list_stores()`)).map((x) => [x.name, x.cashier_id])).toEqual([['一号店', s.cashierId]]);
  // a product's picture: a file shipped with the app or an https URL, nothing else
  expect((await asMember(a, `select image_path from public.list_products()`))).toEqual([{ image_path: null }]);
  await db.admin.query(`update rebate.products set image_path = '/assets/products/tea.png' where id = $1`, [p]);
  expect((await asMember(a, `select image_path from public.list_products()`))).toEqual([{ image_path: '/assets/products/tea.png' }]);
  await db.admin.query(`update rebate.products set image_path = 'https://img.example.com/p/1.jpg' where id = $1`, [p]);
  for (const bad of ['/assets/products/../secret.png', 'http://img.example.com/1.png', 'javascript:alert(1)', '/assets/products/a b.png', `https://x/${'a'.repeat(500)}`]) {
    await expect(db.admin.query(`update rebate.products set image_path = $2 where id = $1`, [p, bad])).rejects.toThrow(/products_image_path_check/);
  }
});

describe('admin settings', () => {
  test('only admins read and update; every field is validated', async () => {
    const [admin, member] = await createMembers(db, 2);
    await db.admin.query(`update rebate.members set is_admin = true where id = $1`, [admin]);
    await expectDbError(asMember(member, `select public.admin_get_settings()`), 'forbidden_role');
    await expectDbError(asMember(member, `select public.admin_update_settings('{"enabled": true}')`), 'forbidden_role');
    const [{ s }] = await asMember(admin, `select public.admin_get_settings() as s`);
    expect(s).toMatchObject({ enabled: false, settle_event: 'paid', reward_rule: 'queue_order', extraction_bps: 1000, default_reward_bps: 10000, display_name: '排队返利', clearing_time: '00:00:00' });

    const upd = (patch: unknown) => asMember(admin, `select public.admin_update_settings($1::jsonb) as s`, [JSON.stringify(patch)]);
    const bad: Array<[unknown, string]> = [
      [{}, 'invalid_settings'],
      [[1], 'invalid_settings'],
      [{ colour: 'red' }, 'unknown_setting'],
      [{ enabled: 'yes' }, 'invalid_setting'],
      [{ extraction_bps: 10001 }, 'invalid_setting'],
      [{ extraction_bps: -1 }, 'invalid_setting'],
      [{ extraction_bps: 10.5 }, 'invalid_setting'],
      [{ default_reward_bps: '100' }, 'invalid_setting'],
      [{ settle_event: 'shipped' }, 'invalid_setting'],
      [{ display_name: '' }, 'invalid_setting'],
      [{ display_name: '一二三四五六七八九十一二三' }, 'invalid_setting'],
      [{ clearing_time: '24:00' }, 'invalid_setting'],
      [{ lottery_min_bps: 5000, lottery_max_bps: 4000 }, 'invalid_setting'],
      [{ lottery_mode: 'fixed' }, 'invalid_setting'],
      [{ lottery_options: [{ bps: 1000 }] }, 'invalid_setting'],
      [{ level_reward_bps: { x: 1 } }, 'invalid_setting'],
      [{ random_cash_count: 0, random_points_count: 0 }, 'invalid_setting'],
      [{ clearing_schedule: 'once' }, 'invalid_setting'],
      [{ clearing_at: 'tomorrow' }, 'invalid_setting'],
    ];
    for (const [patch, code] of bad) await expectDbError(upd(patch), code);

    const [{ s: after }] = await upd({
      enabled: true, merchant_queue: true, extraction_bps: 6500, settle_event: 'completed', display_name: '共享链',
      lottery_mode: 'fixed', lottery_options: [{ bps: 1000, weight: 1 }, { bps: 5000, weight: 2 }],
      level_reward_bps: { 0: 12000 }, clearing_time: '03:30', clearing_schedule: 'once', clearing_at: '2026-12-01T00:00:00+08:00',
    });
    expect(after).toMatchObject({ enabled: true, merchant_queue: true, extraction_bps: 6500, settle_event: 'completed', display_name: '共享链', lottery_mode: 'fixed', clearing_time: '03:30:00', level_reward_bps: { 0: 12000 } });
    expect(after.updated_by).toBe(admin);
    const { rows } = await db.admin.query(`select clearing_at = '2026-11-30T16:00:00Z'::timestamptz as ok from rebate.settings`);
    expect(rows[0].ok).toBe(true);
  });

  test('product rebate switch, one-click enable, and the default for new products', async () => {
    const [admin, member] = await createMembers(db, 2);
    await db.admin.query(`update rebate.members set is_admin = true where id = $1`, [admin]);
    const s = await createStore(db);
    const p1 = await createProduct(db, { rebateEnabled: false, kind: 'self' });
    const p2 = await createProduct(db, { rebateEnabled: false, kind: 'supply_chain' });
    const sp = await createProduct(db, { rebateEnabled: false, storeId: s.storeId });
    await expectDbError(asMember(member, `select public.admin_set_product_rebate($1, true)`, [p1]), 'forbidden_role');
    await expectDbError(asMember(admin, `select public.admin_set_product_rebate(999999, true)`), 'product_not_found');
    expect((await asMember(admin, `select public.admin_set_product_rebate($1, true) as r`, [p1]))[0].r).toBe(true);
    expect((await asMember(admin, `select public.admin_enable_all_products() as n`))[0].n).toBe(1);
    const { rows } = await db.admin.query(`select id::int, rebate_enabled from rebate.products order by id`);
    expect(rows).toEqual([{ id: p1, rebate_enabled: true }, { id: p2, rebate_enabled: true }, { id: sp, rebate_enabled: false }]);
    await asMember(admin, `select public.admin_update_settings('{"new_product_rebate": false}')`);
    const { rows: n } = await db.admin.query(`insert into rebate.products (kind, name, price_fen) values ('self', '新品', 100) returning rebate_enabled`);
    expect(n[0].rebate_enabled).toBe(false);
  });
});

// Admin RPCs of the rules (member levels, independent settings) with their validation; the
// grants of every rules RPC; the member views' new fields.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, callNum, createMembers, createProduct, createStore, enableRebate, expectHealthy } from '../helpers/engine';
import { createAdmin, createLevels, memberCode, RULES_RPCS, setPlugin } from '../helpers/rules';

let db: TestDb;
let admin: string;
let member: string;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db);
  admin = await createAdmin(db);
  [member] = await createMembers(db, 1);
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

const asAdmin = (sql: string, params: unknown[] = []) => callNum(db, 'authenticated', admin, sql, params);

describe('grants', () => {
  test.each(Object.entries(RULES_RPCS))('%s is executable by exactly the roles it is granted to', async (sig, roles) => {
    const { rows } = await db.admin.query(`
      select has_function_privilege('anon', $1::regprocedure, 'execute') as anon,
             has_function_privilege('authenticated', $1::regprocedure, 'execute') as authenticated,
             has_function_privilege('service_role', $1::regprocedure, 'execute') as service_role,
             has_function_privilege('public', $1::regprocedure, 'execute') as public,
             p.prosecdef, p.proconfig
        from pg_proc p where p.oid = $1::regprocedure`, [`public.${sig}`]);
    expect(rows[0]).toMatchObject({ anon: false, public: false, ...roles, prosecdef: true, proconfig: ['search_path=""'] });
  });

  test('anon can execute no function in schema public; no rebate function is executable by the API roles', async () => {
    const { rows } = await db.admin.query(`
      select p.oid::regprocedure::text as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where (n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute'))
          or (n.nspname = 'rebate' and (has_function_privilege('anon', p.oid, 'execute')
                                        or has_function_privilege('authenticated', p.oid, 'execute')))`);
    expect(rows).toEqual([]);
  });

  test('a member cannot call the admin RPCs', async () => {
    for (const sql of [`select public.admin_list_member_levels()`, `select public.admin_save_member_level(null, 'x', 1::smallint)`,
      `select public.admin_delete_member_level(1::smallint)`, `select public.admin_set_member_level('AAAAAAAA', 0::smallint)`,
      `select public.admin_get_rule_settings('store', 1)`, `select public.admin_update_rule_settings('store', 1, '{"daily_limit": 1}')`]) {
      await expectDbError(db.call('authenticated', member, sql), 'forbidden_role');
    }
  });
});

describe('member levels', () => {
  test('create, rename, assign, refuse duplicates and deleting a level in use; deleting removes its ratios', async () => {
    const [{ l }] = await asAdmin(`select public.admin_save_member_level(null, ' 黄金会员 ', 10::smallint) as l`);
    expect(l).toMatchObject({ name: '黄金会员', rank: 10 });
    const id = l.id;
    await expectDbError(asAdmin(`select public.admin_save_member_level(null, '白银', 10::smallint)`), 'level_rank_taken');
    await expectDbError(asAdmin(`select public.admin_save_member_level(null, '', 3::smallint)`), 'invalid_level_name');
    await expectDbError(asAdmin(`select public.admin_save_member_level(null, repeat('长', 21), 3::smallint)`), 'invalid_level_name');
    await expectDbError(asAdmin(`select public.admin_save_member_level(null, '白银', (-1)::smallint)`), 'invalid_level_rank');
    expect((await asAdmin(`select public.admin_save_member_level($1::smallint, '钻石会员', 20::smallint) as l`, [id]))[0].l)
      .toMatchObject({ id, name: '钻石会员', rank: 20 });
    const code = await memberCode(db, member);
    expect((await asAdmin(`select public.admin_set_member_level($1, $2::smallint) as r`, [code.toLowerCase(), id]))[0].r)
      .toMatchObject({ member_code: code, level_id: id, level_name: '钻石会员' });
    await expectDbError(asAdmin(`select public.admin_set_member_level($1, 99::smallint)`, [code]), 'level_not_found');
    await expectDbError(asAdmin(`select public.admin_set_member_level('ZZZZZZZZ', 0::smallint)`), 'member_not_found');
    const [{ ls }] = await asAdmin(`select public.admin_list_member_levels() as ls`);
    expect(ls).toEqual([{ id: 0, name: '普通会员', rank: 0, member_count: 1 }, { id, name: '钻石会员', rank: 20, member_count: 1 }]);
    const [me] = await callNum(db, 'authenticated', member, `select level_name from public.me()`);
    expect(me.level_name).toBe('钻石会员');

    await asAdmin(`select public.admin_update_settings($1::jsonb)`, [JSON.stringify({ level_reward_bps: { [id]: 15000 } })]);
    const store = await createStore(db);
    await asAdmin(`select public.admin_update_rule_settings('store', $1, $2::jsonb)`, [store.storeId, JSON.stringify({ level_reward_bps: { [id]: 12000, 0: 9000 } })]);
    await expectDbError(asAdmin(`select public.admin_delete_member_level($1::smallint)`, [id]), 'level_in_use');
    await expectDbError(asAdmin(`select public.admin_delete_member_level(0::smallint)`), 'level_protected');
    await asAdmin(`select public.admin_set_member_level($1, 0::smallint)`, [code]);
    expect((await asAdmin(`select public.admin_delete_member_level($1::smallint) as ok`, [id]))[0].ok).toBe(true);
    const { rows } = await db.admin.query(`select (select level_reward_bps from rebate.settings) as plugin, level_reward_bps as store from rebate.stores where id = $1`, [store.storeId]);
    expect(rows[0]).toEqual({ plugin: {}, store: { 0: 9000 } });
    await expectDbError(asAdmin(`select public.admin_delete_member_level($1::smallint)`, [id]), 'level_not_found');
  });

  test('ratios for a level that does not exist are refused, in the plugin and the independent settings', async () => {
    await expectDbError(asAdmin(`select public.admin_update_settings('{"level_reward_bps": {"77": 100}}')`), 'invalid_setting');
    const p = await createProduct(db);
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('product', $1, '{"level_reward_bps": {"77": 100}}')`, [p]), 'invalid_setting');
  });
});

describe('independent settings (独立设置)', () => {
  test('read and change every field of a product, store and cashier; they change behaviour', async () => {
    await createLevels(db, [[5, '测试等级', 50]]);
    const { storeId, cashierId } = await createStore(db);
    const p = await createProduct(db, { storeId });
    const patch = {
      rebate_enabled: true, reward_bps: 12000, extraction_bps: 2000, level_reward_bps: { 5: 15000 },
      tiers: [{ days: 30, min_fen: 100000, bps: 13000 }], lottery_mode: 'interval', lottery_min_bps: 100, lottery_max_bps: 900,
      lottery_options: [{ bps: 500, weight: 2 }], reward_windows: [{ start: '09:00', end: '21:00' }], daily_limit: 3, total_limit: null,
    };
    const [{ r }] = await asAdmin(`select public.admin_update_rule_settings('product', $1, $2::jsonb) as r`, [p, JSON.stringify(patch)]);
    expect(r).toMatchObject({ target: 'product', target_id: p, ...patch });
    const storePatch = { ...patch, random_return: 'on', random_cash_count: 2, random_points_count: 1 };
    const [{ s }] = await asAdmin(`select public.admin_update_rule_settings('store', $1, $2::jsonb) as s`, [storeId, JSON.stringify(storePatch)]);
    expect(s).toMatchObject({ target: 'store', ...storePatch });
    const [{ c }] = await asAdmin(`select public.admin_update_rule_settings('cashier', $1, $2::jsonb) as c`, [cashierId, JSON.stringify({ random_return: 'off', reward_bps: null })]);
    expect(c).toMatchObject({ target: 'cashier', random_return: 'off', reward_bps: null });
    const [{ g }] = await asAdmin(`select public.admin_get_rule_settings('store', $1) as g`, [storeId]);
    expect(g).toEqual(s);
  });

  test.each<[string, unknown, string]>([
    ['reward_bps', 100001, 'invalid_setting'], ['reward_bps', 1.5, 'invalid_setting'], ['reward_bps', '100', 'invalid_setting'],
    ['extraction_bps', 10001, 'invalid_setting'], ['rebate_enabled', 'yes', 'invalid_setting'],
    ['level_reward_bps', [1], 'invalid_setting'], ['level_reward_bps', { 0: -1 }, 'invalid_setting'],
    ['tiers', [{ days: 0, min_fen: 1, bps: 1 }], 'invalid_setting'], ['tiers', [{ days: 1, min_fen: 1 }], 'invalid_setting'],
    ['tiers', [{ days: 1, min_fen: 1, bps: 1, x: 1 }], 'invalid_setting'], ['tiers', Array(11).fill({ days: 1, min_fen: 1, bps: 1 }), 'invalid_setting'],
    ['lottery_mode', 'wheel', 'invalid_setting'], ['lottery_options', [{ bps: 0, weight: 1 }], 'invalid_setting'],
    ['lottery_options', [{ bps: 100, weight: 0 }], 'invalid_setting'], ['lottery_min_bps', 0, 'invalid_setting'],
    ['reward_windows', [{ start: '9:00', end: '10:00' }], 'invalid_setting'], ['reward_windows', [{ start: '10:00', end: '10:00' }], 'invalid_setting'],
    ['reward_windows', [{ from: '2030-01-02T00:00:00+08:00', to: '2030-01-01T00:00:00+08:00' }], 'invalid_setting'],
    ['reward_windows', [{ from: '2030-01-01T00:00:00', to: '2030-01-02T00:00:00+08:00' }], 'invalid_setting'],
    ['reward_windows', [{ start: '10:00' }], 'invalid_setting'], ['daily_limit', -1, 'invalid_setting'],
    ['total_limit', 1000001, 'invalid_setting'], ['random_return', 'maybe', 'invalid_setting'],
    ['random_points_count', 101, 'invalid_setting'], ['colour', 'red', 'unknown_setting'],
  ])('store %s = %j is refused (%s)', async (key, value, code) => {
    const { storeId } = await createStore(db);
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('store', $1, $2::jsonb)`, [storeId, JSON.stringify({ [key]: value })]), code);
  });

  test('settings that contradict each other, a product with random return, bad targets, empty patches', async () => {
    const { storeId } = await createStore(db);
    const p = await createProduct(db);
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('store', $1, '{"lottery_min_bps": 5000, "lottery_max_bps": 4000}')`, [storeId]), 'invalid_setting');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('store', $1, '{"lottery_mode": "fixed", "lottery_options": []}')`, [storeId]), 'invalid_setting');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('store', $1, '{"random_cash_count": 0, "random_points_count": 0}')`, [storeId]), 'invalid_setting');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('product', $1, '{"random_return": "on"}')`, [p]), 'unknown_setting');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('shelf', 1, '{"reward_bps": 1}')`), 'invalid_target');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('product', 999999, '{"reward_bps": 1}')`), 'target_not_found');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('product', $1, '{}')`, [p]), 'invalid_settings');
    await expectDbError(asAdmin(`select public.admin_update_rule_settings('product', $1, '[]')`, [p]), 'invalid_settings');
    const { rows } = await db.admin.query(`select lottery_min_bps, lottery_mode from rebate.stores where id = $1`, [storeId]);
    expect(rows[0]).toEqual({ lottery_min_bps: 1000, lottery_mode: 'off' });     // nothing changed
  });
});

describe('member views', () => {
  test('my_entries keeps the engine columns and adds the rules columns at the end; queue_process carries the flags', async () => {
    await setPlugin(db, { lottery_mode: 'fixed', lottery_options: [{ bps: 2000, weight: 1 }], merchant_queue: true });
    const p = await createProduct(db);
    const [m] = await createMembers(db, 1);
    await buy(db, m, p);
    const { rows: cols } = await db.admin.query(`
      select array_agg(a.attname order by a.attnum) as names
        from pg_proc p, unnest(p.proargnames) with ordinality a(attname, attnum)
       where p.oid = 'public.my_entries(text,bigint,integer)'::regprocedure and a.attnum > 3`);
    expect(cols[0].names).toEqual(['entry_id', 'queue_id', 'queue_name', 'seq', 'status', 'status_label', 'entitlement_fen',
      'received_fen', 'remaining_fen', 'closed_fen', 'progress_bps', 'reward_bps', 'rule_code', 'rule_label', 'order_id',
      'order_no', 'item_name', 'order_completed', 'created_at', 'ended_at',
      'can_draw', 'drawn_bps', 'can_exchange', 'lottery_config', 'converted_asset', 'converted_amount',
      // the estimate's fields (20261125002200_add_queue_inflow_to_views)
      'position', 'ahead_count', 'ahead_amount_fen', 'inflow_7d_fen', 'inflow_30d_fen', 'queue_created_at']);
    const [e] = await callNum(db, 'authenticated', m, `select * from public.my_entries()`);
    expect(e).toMatchObject({ rule_code: 'plugin_lottery', rule_label: '抽奖', can_draw: true, can_exchange: true });
    const [{ v }] = await callNum(db, 'authenticated', m, `select to_jsonb(public.queue_process($1, 1)) as v`, [e.entry_id]);
    expect(v.entry).toMatchObject({ entry_id: e.entry_id, can_draw: true, can_exchange: true, drawn_bps: null,
      lottery_config: { mode: 'fixed', options: [{ bps: 2000, weight: 1 }] } });
    expect(v).toMatchObject({ position: 1, ahead_count: 0 });
    await expectDbError(callNum(db, 'authenticated', admin, `select to_jsonb(public.queue_process($1, 1))`, [e.entry_id]), 'entry_not_found');
    await expectDbError(callNum(db, 'authenticated', m, `select * from public.my_entries('bogus')`), 'invalid_status');
    await setPlugin(db, { lottery_mode: 'off', merchant_queue: false });
  });
});

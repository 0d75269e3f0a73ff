// RLS and grants of the engine: who may call which RPC, and that no API role can read or
// write a table directly; the row-level policies as a second line of defence.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, enableRebate, entries, grantBalance } from '../helpers/engine';

let db: TestDb;
let a: string;
let b: string;
let orderA: { order_id: number; order_no: string };

beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db, { merchant_queue: true });
  const p = await createProduct(db);
  [a, b] = await createMembers(db, 2);
  await grantBalance(db, a, 'points', 100);
  await grantBalance(db, b, 'love', 100);
  orderA = await buy(db, a, p);
  await buy(db, b, p);
});
afterAll(async () => { await db.close(); });

// Every RPC of the engine and the roles that may execute it.
const RPCS: Record<string, { authenticated: boolean; service_role: boolean }> = {
  'create_order(jsonb)': { authenticated: true, service_role: false },
  'preview_order(jsonb)': { authenticated: true, service_role: false },
  'cancel_my_order(bigint)': { authenticated: true, service_role: false },
  'my_orders(text,bigint,integer)': { authenticated: true, service_role: false },
  'my_order(bigint)': { authenticated: true, service_role: false },
  'my_entries(text,bigint,integer)': { authenticated: true, service_role: false },
  'queue_process(bigint,integer)': { authenticated: true, service_role: false },
  'entry_sources(bigint,bigint,integer)': { authenticated: true, service_role: false },
  'my_wallet()': { authenticated: true, service_role: false },
  'my_ledger(text,bigint,integer)': { authenticated: true, service_role: false },
  'my_messages(boolean,bigint,integer)': { authenticated: true, service_role: false },
  'mark_messages_read(bigint[])': { authenticated: true, service_role: false },
  'rebate_display_settings()': { authenticated: true, service_role: false },
  'list_products(bigint)': { authenticated: true, service_role: false },
  'list_stores()': { authenticated: true, service_role: false },
  'admin_get_settings()': { authenticated: true, service_role: false },
  'admin_update_settings(jsonb,text)': { authenticated: true, service_role: false },
  'admin_set_product_rebate(bigint,boolean)': { authenticated: true, service_role: false },
  'admin_enable_all_products()': { authenticated: true, service_role: false },
  'mark_order_paid(text,text,bigint)': { authenticated: false, service_role: true },
  'accept_payment(text,text,bigint)': { authenticated: false, service_role: true },
  'settle_pending(bigint,integer)': { authenticated: false, service_role: true },
  'admin_retry_settlement(text)': { authenticated: true, service_role: false },
  'complete_order(text)': { authenticated: false, service_role: true },
  'refund_order(text,text,integer[])': { authenticated: false, service_role: true },
  'cancel_order(text)': { authenticated: false, service_role: true },
  'reconcile()': { authenticated: false, service_role: true },
  'prepare_payment(text,uuid,integer)': { authenticated: false, service_role: true },
};

test.each(Object.entries(RPCS))('%s is executable by exactly the roles it is granted to', async (sig, roles) => {
  const { rows } = await db.admin.query(`
    select has_function_privilege('anon', $1::regprocedure, 'execute') as anon,
           has_function_privilege('authenticated', $1::regprocedure, 'execute') as authenticated,
           has_function_privilege('service_role', $1::regprocedure, 'execute') as service_role,
           has_function_privilege('public', $1::regprocedure, 'execute') as public,
           p.prosecdef, p.proconfig
      from pg_proc p where p.oid = $1::regprocedure`, [`public.${sig}`]);
  expect(rows[0]).toMatchObject({ anon: false, public: false, ...roles, prosecdef: true, proconfig: ['search_path=""'] });
});

test('no internal rebate function is executable by the API roles', async () => {
  const { rows } = await db.admin.query(`
    select p.oid::regprocedure::text as sig from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'rebate'
       and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))`);
  expect(rows).toEqual([]);
});

test('a member cannot call the payment, fulfilment or reconcile functions', async () => {
  const calls = [
    `select public.mark_order_paid('${orderA.order_no}', 'x', 1)`,
    `select public.complete_order('${orderA.order_no}')`,
    `select public.refund_order('${orderA.order_no}', 'x')`,
    `select to_jsonb(public.cancel_order('${orderA.order_no}'))`,
    `select * from public.reconcile()`,
  ];
  for (const sql of calls) {
    await expect(db.call('authenticated', b, sql)).rejects.toMatchObject({ code: '42501' });
    await expect(db.call('anon', null, sql)).rejects.toMatchObject({ code: '42501' });
  }
  const { rows } = await db.admin.query(`select status from rebate.orders where id = $1`, [orderA.order_id]);
  expect(rows[0].status).toBe('paid');
});

test('a member cannot call the admin functions', async () => {
  for (const sql of [`select public.admin_get_settings()`, `select public.admin_update_settings('{"paused": true}')`,
                     `select public.admin_set_product_rebate(1, false)`, `select public.admin_enable_all_products()`]) {
    await expectDbError(db.call('authenticated', b, sql), 'forbidden_role');
  }
});

test("a member cannot read another member's entries, orders, ledger or messages through the RPCs", async () => {
  const ea = (await entries(db)).find((e) => e.member_id === a)!;
  await expectDbError(db.call('authenticated', b, `select to_jsonb(public.queue_process($1))`, [ea.id]), 'entry_not_found');
  await expectDbError(db.call('authenticated', b, `select * from public.entry_sources($1)`, [ea.id]), 'entry_not_found');
  await expectDbError(db.call('authenticated', b, `select to_jsonb(public.my_order($1))`, [orderA.order_id]), 'order_not_found');
  const mine = await db.call('authenticated', b, `select * from public.my_entries()`);
  expect(mine.every((e: any) => e.entry_id !== String(ea.id))).toBe(true);
  const orders = await db.call('authenticated', b, `select * from public.my_orders()`);
  expect(orders.map((o: any) => o.order_no)).not.toContain(orderA.order_no);
  const ledger = await db.call('authenticated', b, `select * from public.my_ledger()`);
  expect(ledger.map((l: any) => l.asset)).toEqual(['love']);   // only b's own row, none of a's
  const msgs = await db.call('authenticated', b, `select * from public.my_messages()`);
  expect(msgs.every((m: any) => m.entry_id !== String(ea.id))).toBe(true);
});

test('the API roles can neither read nor write any table of the engine directly', async () => {
  const { rows } = await db.admin.query(`
    select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'rebate' and c.relkind = 'r' and c.relname not in ('members', 'member_levels') order by 1`);
  expect(rows.length).toBeGreaterThanOrEqual(15);
  for (const { relname } of rows) {
    for (const role of ['anon', 'authenticated'] as const) {
      await expect(db.call(role, a, `select * from rebate.${relname} limit 1`)).rejects.toMatchObject({ code: '42501' });
      await expect(db.call(role, a, `delete from rebate.${relname}`)).rejects.toMatchObject({ code: '42501' });
    }
    // service_role reads (for server tools) but never writes: all writes go through the functions
    await db.call('service_role', null, `select * from rebate.${relname} limit 1`);
    await expect(db.call('service_role', null, `delete from rebate.${relname}`)).rejects.toMatchObject({ code: '42501' });
  }
  await expect(db.call('authenticated', a, `update rebate.wallets set cash_fen = 999999`)).rejects.toMatchObject({ code: '42501' });
});

test('the ledger, distributions and retentions are append-only even for the owner', async () => {
  await expectDbError(db.admin.query(`update rebate.ledger set delta = delta`), 'append_only');
  await expectDbError(db.admin.query(`delete from rebate.ledger`), 'append_only');
  await expectDbError(db.admin.query(`truncate rebate.ledger cascade`), 'append_only');
  await expectDbError(db.admin.query(`delete from rebate.distributions`), 'append_only');
  await expectDbError(db.admin.query(`update rebate.retentions set amount_fen = 1`), 'append_only');
});

test('row-level security: with table access granted, a member would still see only their own rows', async () => {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`grant usage on schema rebate to authenticated`);
    await c.query(`grant select on rebate.orders, rebate.order_lines, rebate.entries, rebate.wallets, rebate.ledger,
                   rebate.messages, rebate.distributions, rebate.refunds to authenticated`);
    await c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
      [JSON.stringify({ role: 'authenticated', sub: b })]);
    // b has rows in each of these tables, and so has a
    for (const t of ['orders', 'entries', 'wallets', 'ledger', 'messages']) {
      const { rows } = await c.query(`select member_id from rebate.${t}`);
      expect([t, rows.length > 0 && rows.every((r) => r.member_id === b)]).toEqual([t, true]);
    }
    // a received distributions, b none
    expect((await c.query(`select 1 from rebate.distributions`)).rows).toEqual([]);
    const { rows: lines } = await c.query(`select o.member_id from rebate.order_lines l join rebate.orders o on o.id = l.order_id`);
    expect(lines.every((r) => r.member_id === b)).toBe(true);
  } finally {
    await c.query('rollback');
    c.release();
  }
});

test('CHECK invariants hold even for the owner: no negative balance, no overpaid entry', async () => {
  await expect(db.admin.query(`update rebate.wallets set cash_fen = -1 where member_id = $1`, [a]))
    .rejects.toMatchObject({ code: '23514', message: 'wallets_non_negative' });
  await expect(db.admin.query(`update rebate.entries set received_fen = entitlement_fen + 1`))
    .rejects.toMatchObject({ code: '23514', message: 'entries_received' });
  await expect(db.admin.query(`update rebate.queues set total_distributed_fen = total_distributed_fen + 1 where scope = 'mall'`))
    .rejects.toMatchObject({ code: '23514', message: 'queues_conservation' });
  await expect(db.admin.query(`update rebate.orders set pay_fen = pay_fen + 1`))
    .rejects.toMatchObject({ code: '23514', message: 'orders_amounts' });
});

// The house rules of docs/database.md, checked on the migrated database: what a lint of the
// schema would report fails here instead.
import { createMember, createTestDb, expectDbError, TestDb } from '../helpers/db';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.close(); });

async function rows<T = any>(sql: string): Promise<T[]> {
  return (await db.admin.query(sql)).rows;
}

// On every order's path and kept without a SET clause on purpose (docs/database.md).
const HOT_PATH_WITHOUT_SEARCH_PATH = [
  'rebate.bps_of(bigint,integer)', 'rebate.entry_ok(rebate.entries)', 'rebate.fen_text(bigint)',
  'rebate.invariant_failed(text)', 'rebate.is_lock_conflict(text)', 'rebate.ledger_ok(rebate.ledger)',
  'rebate.limit_allows(uuid,text,bigint,integer,integer,date)', 'rebate.limit_take(uuid,text,bigint,date)',
  'rebate.message_ok(rebate.messages)', 'rebate.order_line_ok(rebate.order_lines)', 'rebate.order_ok(rebate.orders)',
  'rebate.queue_ok(rebate.queues)', 'rebate.reward_ok(rebate.rewards)', 'rebate.settle_max_attempts()',
  'rebate.settler_key(bigint)', 'rebate.settler_lock_timeout()', 'rebate.shanghai_day(timestamp with time zone)',
  'rebate.tier_ratio(jsonb,uuid,bigint,date)', 'rebate.tx_has_settled()', 'rebate.wallet_ok(rebate.wallets)',
].sort();

test('every function fixes its search_path, except the listed hot-path helpers (none of them security definer)', async () => {
  const found = await rows<{ f: string; secdef: boolean }>(`
    select p.oid::regprocedure::text as f, p.prosecdef as secdef
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('public', 'rebate')
       and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')
     order by 1`);
  expect(found.map((r) => r.f).sort()).toEqual(HOT_PATH_WITHOUT_SEARCH_PATH);
  expect(found.filter((r) => r.secdef)).toEqual([]);
});

test('every foreign key has an index that starts with its column', async () => {
  const missing = await rows(`
    select k.conrelid::regclass::text as tbl, k.conname
      from pg_constraint k
     where k.contype = 'f' and k.connamespace = 'rebate'::regnamespace
       and not exists (select 1 from pg_index i where i.indrelid = k.conrelid and i.indkey[0] = k.conkey[1])`);
  expect(missing).toEqual([]);
});

test('service_role may only read tables; anon and authenticated have no table rights at all', async () => {
  const rights = await rows(`
    select c.relname, g.grantee, g.privilege_type
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      cross join lateral aclexplode(c.relacl) a
      join lateral (select a.grantee::regrole::text as grantee, a.privilege_type) g on true
     where n.nspname = 'rebate' and c.relkind in ('r', 'v', 'm')
       and g.grantee in ('service_role', 'anon', 'authenticated', 'public')
       and not (g.grantee = 'service_role' and g.privilege_type = 'SELECT')`);
  expect(rights).toEqual([]);
});

test('every function says what it is for (comment on function)', async () => {
  const bare = await rows(`
    select p.oid::regprocedure::text as f from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname in ('public', 'rebate')
       and coalesce(char_length(obj_description(p.oid, 'pg_proc')), 0) < 15`);
  expect(bare).toEqual([]);
});

test('run_dividend refuses a time that is not finite with invalid_time, writing nothing', async () => {
  for (const t of ['infinity', '-infinity']) {
    await expectDbError(db.call('service_role', null, `select public.run_dividend($1::timestamptz)`, [t]), 'invalid_time', 'P0001');
  }
  expect((await rows(`select count(*)::int as n from rebate.dividend_periods`))[0].n).toBe(0);
});

test('a login whose unionid belongs to another member is refused with unionid_conflict, nothing moved', async () => {
  const a = await createMember(db);
  await db.admin.query(`update rebate.members set unionid = 'union_A' where id = $1`, [a]);
  const b = await createMember(db);
  const [{ openid }] = await rows<{ openid: string }>(`select openid from rebate.members where id = '${b}'`);
  await expectDbError(db.call('service_role', null, `select public.upsert_member_by_openid($1, 'union_A')`, [openid]),
    'unionid_conflict', 'P0001');
  const after = await rows(`select id, unionid from rebate.members where id in ('${a}', '${b}') order by unionid nulls last`);
  expect(after).toEqual([{ id: a, unionid: 'union_A' }, { id: b, unionid: null }]);
});

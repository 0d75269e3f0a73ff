import { createMember, createTestDb, TestDb } from '../helpers/db';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.close(); });

describe('members', () => {
  test('me() returns only the signed-in member', async () => {
    const a = await createMember(db, { nickname: '甲' });
    await createMember(db, { nickname: '乙' });
    const rows = await db.call('authenticated', a, 'select * from public.me()');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: a, nickname: '甲', level_name: '普通会员', is_admin: false });
    expect(rows[0].member_code).toMatch(/^[A-Z0-9]{8}$/);
  });

  test('anon cannot call me() or upsert_member_by_openid()', async () => {
    await expect(db.call('anon', null, 'select * from public.me()')).rejects.toMatchObject({ code: '42501' });
    await expect(db.call('anon', null, `select public.upsert_member_by_openid('x')`)).rejects.toMatchObject({ code: '42501' });
    await expect(db.call('authenticated', null, `select public.upsert_member_by_openid('x')`)).rejects.toMatchObject({ code: '42501' });
  });

  test('upsert_member_by_openid is idempotent per openid and validates it', async () => {
    const [{ id: first }] = await db.call('service_role', null, `select public.upsert_member_by_openid('openid_same') as id`);
    const [{ id: again }] = await db.call('service_role', null, `select public.upsert_member_by_openid('openid_same') as id`);
    expect(again).toBe(first);
    await expect(db.call('service_role', null, `select public.upsert_member_by_openid('bad openid!')`))
      .rejects.toMatchObject({ message: 'invalid_openid' });
  });

  test('API roles cannot touch the private tables directly', async () => {
    const a = await createMember(db);
    for (const role of ['anon', 'authenticated'] as const) {
      await expect(db.call(role, a, 'select * from rebate.members')).rejects.toMatchObject({ code: '42501' });
      await expect(db.call(role, a, `update rebate.members set is_admin = true`)).rejects.toMatchObject({ code: '42501' });
    }
  });

  test('row-level security is enabled on every table of the rebate schema', async () => {
    const { rows } = await db.admin.query(`
      select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'rebate' and c.relkind in ('r', 'p') and not c.relrowsecurity`);
    expect(rows.map((r) => r.relname)).toEqual([]);
    const { rows: count } = await db.admin.query(`
      select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'rebate' and c.relkind = 'r'`);
    expect(count[0].n).toBeGreaterThan(0);
  });

  test('no public function is executable by anon unless it is on the allow-list', async () => {
    const anonAllowed = new Set<string>([]);
    const { rows } = await db.admin.query(`
      select p.proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')`);
    expect(rows.map((r) => r.proname).filter((n: string) => !anonAllowed.has(n))).toEqual([]);
  });
});

// The local gateway must behave like Kong + PostgREST for everything supabase-js sends.
// Fixture functions are created in this file's own database before the gateway starts.
import { createMember, createTestDb, TestDb } from '../helpers/db';
import {
  ANON_KEY, SERVICE_ROLE_KEY, anonClient, memberClient, serviceClient, signTestJwt, startTestGateway, TestGateway,
} from '../helpers/gateway';

let db: TestDb;
let gw: TestGateway;
let member: string;

const FIXTURES = `
  create table public.gw_items (id int primary key, owner uuid);
  alter table public.gw_items enable row level security;
  revoke all on public.gw_items from anon, authenticated;

  create function public.gw_echo(p_n bigint, p_s text default 'x', p_j jsonb default null, p_a int[] default null)
    returns jsonb language sql stable as $$ select jsonb_build_object('n', p_n, 's', p_s, 'j', p_j, 'a', p_a) $$;
  create function public.gw_whoami() returns table (role text, sub text, claim_role text, jwt_role text)
    language sql stable as $$ select current_user::text, auth.uid()::text, auth.role(), auth.jwt() ->> 'role' $$;
  create function public.gw_void(p_id int) returns void language sql as $$ insert into public.gw_items values (p_id, auth.uid()) $$;
  create function public.gw_count() returns bigint language sql stable security definer set search_path = '' as $$ select count(*) from public.gw_items $$;
  create function public.gw_set(p_n int) returns setof int language sql stable as $$ select generate_series(1, p_n) $$;
  create function public.gw_fail() returns int language plpgsql as $$ begin
    raise exception using errcode = 'P0001', message = 'order_not_found', hint = '订单不存在', detail = 'd'; end $$;
  create function public.gw_teapot() returns int language plpgsql as $$ begin raise sqlstate 'PT418' using message = 'teapot'; end $$;
  create function public.gw_json(jsonb) returns jsonb language sql stable as $$ select $1 $$;
  create function public.gw_settings() returns text language sql stable as $$ select current_setting('statement_timeout') $$;
  create function public.gw_service_only() returns int language sql as $$ select 1 $$;
  revoke all on function public.gw_service_only() from public, anon, authenticated;
  grant execute on function public.gw_service_only() to service_role;
  create function public.gw_member_only() returns int language sql as $$ select 1 $$;
  revoke all on function public.gw_member_only() from public, anon;
  grant execute on function public.gw_member_only() to authenticated;
  grant insert, select on public.gw_items to authenticated, anon;
  create policy "anyone can insert" on public.gw_items for insert with check (true);
`;

beforeAll(async () => {
  db = await createTestDb();
  await db.admin.query(FIXTURES);
  member = await createMember(db);
  gw = await startTestGateway(db, { maxBodyBytes: 64 * 1024 });
});
afterAll(async () => { await gw.close(); await db.close(); });

async function raw(path: string, init: RequestInit & { token?: string | null; apikey?: string | null } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...(init.headers as any) };
  if (init.apikey !== null) headers.apikey = init.apikey ?? ANON_KEY;
  if (init.token !== null) headers.Authorization = `Bearer ${init.token ?? ANON_KEY}`;
  const res = await fetch(gw.url + path, { ...init, headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : null };
}

describe('RPC calls through supabase-js', () => {
  test('named arguments, defaults, jsonb and arrays', async () => {
    const { data, error } = await anonClient(gw.url).rpc('gw_echo', { p_n: 5, p_j: { a: [1, 2] }, p_a: [3, 4] });
    expect(error).toBeNull();
    expect(data).toEqual({ n: 5, s: 'x', j: { a: [1, 2] }, a: [3, 4] });
  });

  test('GET with query-string arguments runs the function read-only', async () => {
    const { data, error } = await anonClient(gw.url).rpc('gw_echo', { p_n: 7, p_s: 'a b' }, { get: true });
    expect(error).toBeNull();
    expect(data).toEqual({ n: 7, s: 'a b', j: null, a: null });
  });

  test('void returns 204 and null data; set returns an array; scalar a value', async () => {
    const client = await memberClient(gw.url, member);
    const v = await client.rpc('gw_void', { p_id: 1 });
    expect(v.error).toBeNull();
    expect(v.status).toBe(204);
    expect(v.data).toBeNull();
    expect((await client.rpc('gw_count')).data).toBe(1);
    expect((await client.rpc('gw_set', { p_n: 3 })).data).toEqual([1, 2, 3]);
    expect((await client.rpc('gw_set', { p_n: 0 })).data).toEqual([]);
  });

  test('a single unnamed jsonb parameter receives the whole body', async () => {
    const { data } = await anonClient(gw.url).rpc('gw_json', { any: 1, thing: [true] });
    expect(data).toEqual({ any: 1, thing: [true] });
  });

  test('the JWT decides the role and claims; the anon key means anon', async () => {
    const anon = await anonClient(gw.url).rpc('gw_whoami');
    expect(anon.data).toEqual([{ role: 'anon', sub: null, claim_role: 'anon', jwt_role: 'anon' }]);
    const m = await (await memberClient(gw.url, member)).rpc('gw_whoami');
    expect(m.data).toEqual([{ role: 'authenticated', sub: member, claim_role: 'authenticated', jwt_role: 'authenticated' }]);
    const s = await serviceClient(gw.url).rpc('gw_whoami');
    expect(s.data[0].role).toBe('service_role');
  });

  test('the role never leaks between requests on pooled connections', async () => {
    const svc = serviceClient(gw.url);
    const anon = anonClient(gw.url);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      (i % 2 ? svc : anon).rpc('gw_whoami').then((r) => [i % 2 ? 'service_role' : 'anon', r.data?.[0]?.role])));
    for (const [want, got] of results) expect(got).toBe(want);
  });

  test("the role's own settings apply (anon statement_timeout 3s)", async () => {
    expect((await anonClient(gw.url).rpc('gw_settings')).data).toBe('3s');
    expect((await (await memberClient(gw.url, member)).rpc('gw_settings')).data).toBe('8s');
  });
});

describe('errors in PostgREST shape', () => {
  test('raise P0001 → 400 with code, message, details, hint', async () => {
    const r = await anonClient(gw.url).rpc('gw_fail');
    expect(r.status).toBe(400);
    expect(r.error).toEqual({ code: 'P0001', message: 'order_not_found', details: 'd', hint: '订单不存在' });
  });

  test('PTnnn sets the status', async () => {
    expect((await anonClient(gw.url).rpc('gw_teapot')).status).toBe(418);
  });

  test('unknown function or wrong argument names → 404 PGRST202', async () => {
    const r = await anonClient(gw.url).rpc('gw_nope', { a: 1 });
    expect(r.status).toBe(404);
    expect(r.error?.code).toBe('PGRST202');
    expect(r.error?.message).toBe('Could not find the function public.gw_nope(a) in the schema cache');
    const wrong = await anonClient(gw.url).rpc('gw_echo', { p_n: 1, p_bogus: 2 });
    expect(wrong.status).toBe(404);
    const missing = await anonClient(gw.url).rpc('gw_echo', { p_s: 'x' });
    expect(missing.status).toBe(404);
  });

  test('wrong types → 400 with the SQLSTATE', async () => {
    const r = await anonClient(gw.url).rpc('gw_echo', { p_n: 'abc' });
    expect(r.status).toBe(400);
    expect(r.error?.code).toBe('22P02');
    const huge = await raw('/rest/v1/rpc/gw_echo', { method: 'POST', body: '{"p_n": 1e400}' });
    expect(huge.status).toBe(400);
    expect(huge.body.code).toBe('22P02');
    const big = await raw('/rest/v1/rpc/gw_echo', { method: 'POST', body: '{"p_n": 123456789012345678}' });
    expect(big.text).toContain('"n": 123456789012345678'); // the exact value reached Postgres, not a float
    const arr = await raw('/rest/v1/rpc/gw_echo', { method: 'POST', body: '[{"p_n": 3}]' });
    expect(arr.body.n).toBe(3);
  });

  test('a write in a read-only transaction → 405 25006', async () => {
    const r = await (await memberClient(gw.url, member)).rpc('gw_void', { p_id: 77 }, { get: true });
    expect(r.status).toBe(405);
    expect(r.error?.code).toBe('25006');
  });

  test('permission denied → 401 for anon, 403 for a member', async () => {
    const a = await anonClient(gw.url).rpc('gw_service_only');
    expect(a.status).toBe(401);
    expect(a.error?.code).toBe('42501');
    const m = await (await memberClient(gw.url, member)).rpc('gw_service_only');
    expect(m.status).toBe(403);
    expect((await anonClient(gw.url).rpc('gw_member_only')).status).toBe(401);
    expect((await serviceClient(gw.url).rpc('gw_service_only')).data).toBe(1);
  });

  test('unique violation → 409', async () => {
    const client = await memberClient(gw.url, member);
    await client.rpc('gw_void', { p_id: 50 });
    const r = await client.rpc('gw_void', { p_id: 50 });
    expect(r.status).toBe(409);
    expect(r.error?.code).toBe('23505');
  });
});

describe('malformed requests never reach the database as another role', () => {
  test('bad JSON → 400 PGRST102', async () => {
    const r = await raw('/rest/v1/rpc/gw_echo', { method: 'POST', body: '{"p_n": ' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ code: 'PGRST102', message: 'Empty or invalid json', details: null, hint: null });
  });

  test('oversized body → 413', async () => {
    const r = await raw('/rest/v1/rpc/gw_json', { method: 'POST', body: JSON.stringify({ x: 'a'.repeat(100 * 1024) }) });
    expect(r.status).toBe(413);
    expect(Object.keys(r.body).sort()).toEqual(['code', 'details', 'hint', 'message']);
  });

  test('expired JWT → 401 PGRST303', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await signTestJwt({ role: 'authenticated', sub: member, exp: now - 120 });
    const r = await raw('/rest/v1/rpc/gw_whoami', { method: 'POST', token });
    expect(r.status).toBe(401);
    expect(r.body.code).toBe('PGRST303');
    expect(r.headers.get('www-authenticate')).toContain('invalid_token');
  });

  test('forged JWT (wrong secret, alg none, garbage) → 401 PGRST301', async () => {
    const forged = await signTestJwt({ role: 'service_role' }, 'another-secret-another-secret-another-secret');
    for (const token of [forged, 'abc', 'a.b.c', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"service_role"}').toString('base64url')}.`]) {
      const r = await raw('/rest/v1/rpc/gw_service_only', { method: 'POST', token });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('PGRST301');
    }
  });

  test('a JWT for a role that is not an API role is refused', async () => {
    const token = await signTestJwt({ role: 'postgres' });
    const r = await raw('/rest/v1/rpc/gw_whoami', { method: 'POST', token });
    expect(r.status).toBe(401);
  });

  test('missing or unknown apikey → 401', async () => {
    expect((await raw('/rest/v1/rpc/gw_whoami', { method: 'POST', apikey: null, token: null })).status).toBe(401);
    expect((await raw('/rest/v1/rpc/gw_whoami', { method: 'POST', apikey: 'nope', token: null })).status).toBe(401);
    // apikey alone (no Authorization) is used as the token, as Kong does
    const r = await raw('/rest/v1/rpc/gw_whoami', { method: 'POST', apikey: SERVICE_ROLE_KEY, token: null });
    expect(r.body[0].role).toBe('service_role');
  });

  test('PATCH/DELETE on RPC → 405 PGRST101; other paths → 404', async () => {
    const r = await raw('/rest/v1/rpc/gw_whoami', { method: 'DELETE' });
    expect(r.status).toBe(405);
    expect(r.body.code).toBe('PGRST101');
    expect((await raw('/rest/v1/gw_items', { method: 'GET' })).status).toBe(404);
  });

  test('an unexposed schema is refused', async () => {
    const r = await raw('/rest/v1/rpc/gw_whoami', { method: 'POST', headers: { 'Content-Profile': 'rebate' } });
    expect(r.status).toBe(406);
    expect(r.body.code).toBe('PGRST106');
  });
});

describe('CORS and health', () => {
  test('preflight answers without a JWT', async () => {
    const res = await fetch(`${gw.url}/rest/v1/rpc/me`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:10086', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'apikey, content-type, x-client-info' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toContain('apikey');
  });

  test('responses carry CORS headers for an Origin', async () => {
    const res = await fetch(`${gw.url}/rest/v1/rpc/gw_count`, { method: 'POST', headers: { Origin: 'http://x', apikey: ANON_KEY } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('content-range')).toBe('0-0/*');
  });

  test('health', async () => {
    const res = await fetch(`${gw.url}/health`);
    expect(await res.json()).toEqual({ status: 'ok' });
  });
});

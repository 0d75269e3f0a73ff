// console-login end to end: real Deno → gateway → Postgres. A ticket is created for the console,
// confirmed by a member holding a console role (through the API, as the mini-program does),
// redeemed once for an 8-hour token with which console RPCs work; refusals are clear.
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort, verifyHs256 } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fns: FunctionsHost;
let staff: string;
let plain: string;

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  const port = await freePort();
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  fns = await startFunctions({
    port, quiet: true,
    env: { SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET, REBATE_LOCAL_DEV: '1' },
  });
  [staff] = (await db.query(`select public.upsert_member_by_openid('console-staff') as id`)).map((r) => r.id);
  [plain] = (await db.query(`select public.upsert_member_by_openid('console-plain') as id`)).map((r) => r.id);
  await db.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'finance')`, [staff]);
}, 60000);
afterAll(async () => {
  await fns?.stop();
  await gw?.close();
  await db?.close();
});

async function call(path: string, body: unknown, token = ANON_KEY) {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
const consoleLogin = (body: unknown) => call('/functions/v1/console-login', body);
/** What the mini-program's confirm page does, as the member with a dev-login token. */
async function tokenOf(member: string) {
  const code = (await db.query(`select member_code from rebate.members where id = $1`, [member]))[0].member_code;
  return (await call('/functions/v1/dev-login', { member_code: code })).body.access_token as string;
}

test('create → pending → confirmed by staff → an 8-hour token that console RPCs accept; redeemed once', async () => {
  const t = await consoleLogin({ action: 'create' });
  expect(t.status).toBe(200);
  expect(t.body).toEqual({ ticket: expect.stringMatching(/^[0-9a-f-]{36}$/), secret: expect.stringMatching(/^[0-9a-f]{48}$/), expires_at: expect.any(String) });
  const ttl = Date.parse(t.body.expires_at) - Date.now();
  expect(ttl).toBeGreaterThan(100_000);
  expect(ttl).toBeLessThanOrEqual(120_000);
  expect((await consoleLogin({ ticket: t.body.ticket, secret: t.body.secret })).body).toMatchObject({ status: 'pending' });

  const staffToken = await tokenOf(staff);
  const info = await call('/rest/v1/rpc/console_ticket_info', { p_ticket: t.body.ticket }, staffToken);
  expect(info.body).toMatchObject({ confirmed: false, roles: ['finance'] });
  expect((await call('/rest/v1/rpc/console_ticket_confirm', { p_ticket: t.body.ticket }, staffToken)).status).toBe(200);

  const before = Math.floor(Date.now() / 1000);
  const done = await consoleLogin({ ticket: t.body.ticket, secret: t.body.secret });
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ status: 'confirmed', token_type: 'bearer', expires_in: 8 * 3600, user: { id: staff } });
  const claims = verifyHs256(done.body.access_token, JWT_SECRET);
  expect(claims).toMatchObject({ sub: staff, role: 'authenticated', app_metadata: { provider: 'console' } });
  expect(claims.exp! - before).toBeGreaterThanOrEqual(8 * 3600 - 1);
  const me = await call('/rest/v1/rpc/console_me', {}, done.body.access_token);
  expect(me.body).toMatchObject({ member_id: staff, roles: ['finance'] });

  const again = await consoleLogin({ ticket: t.body.ticket, secret: t.body.secret });
  expect(again).toEqual({ status: 410, body: { code: 'ticket_used', message: expect.stringMatching(/已使用/) } });
});

test('refusals: a member without a console role, a foreign secret, an expired ticket, a malformed request', async () => {
  const t = (await consoleLogin({ action: 'create' })).body;
  const denied = await call('/rest/v1/rpc/console_ticket_confirm', { p_ticket: t.ticket }, await tokenOf(plain));
  expect(denied.status).toBe(400);
  expect(denied.body).toMatchObject({ message: 'forbidden_role', hint: '没有权限执行此操作' });
  const foreign = await consoleLogin({ ticket: t.ticket, secret: 'a'.repeat(48) });
  expect(foreign).toEqual({ status: 404, body: { code: 'ticket_not_found', message: expect.stringMatching(/无效/) } });
  await db.query(`update rebate.console_login_tickets set expires_at = now() - interval '1 second', created_at = now() - interval '3 minutes' where id = $1`, [t.ticket]);
  const expired = await consoleLogin({ ticket: t.ticket, secret: t.secret });
  expect(expired).toEqual({ status: 410, body: { code: 'ticket_expired', message: expect.stringMatching(/过期/) } });
  const late = await call('/rest/v1/rpc/console_ticket_confirm', { p_ticket: t.ticket }, await tokenOf(staff));
  expect(late.body).toMatchObject({ message: 'ticket_expired' });
  expect((await consoleLogin({ ticket: 'x', secret: 'y' })).body).toMatchObject({ code: 'invalid_ticket' });
  // anon may not create a ticket in the database directly: only through the function
  expect((await call('/rest/v1/rpc/console_ticket_create', {})).status).toBe(401);
});

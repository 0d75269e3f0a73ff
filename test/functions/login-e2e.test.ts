// WeChat login end to end: fake WeChat → wechat-login (real Deno) → gateway → Postgres,
// then supabase-js calls me() with the issued token, as the mini-program does.
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { createClient } from '@supabase/supabase-js';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;

const APPID = 'wx00e2e0000000login';
const SECRET = 'e2e-wechat-secret';
let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  fake = await startWechatFake({ appid: APPID, secret: SECRET });
  const port = await freePort();
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  fns = await startFunctions({
    port,
    quiet: true,
    env: {
      SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET,
      WECHAT_API_BASE: fake.url, WECHAT_APPID: APPID, WECHAT_SECRET: SECRET, REBATE_LOCAL_DEV: undefined,
    },
  });
}, 60000);
afterAll(async () => {
  await fns?.stop();
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

async function login(code: string) {
  const res = await fetch(`${gw.url}/functions/v1/wechat-login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${ANON_KEY}` },
    body: JSON.stringify({ code }),
  });
  return { status: res.status, body: await res.json() };
}

const memberCount = async () => Number((await db.query('select count(*) from rebate.members'))[0].count);

test('a valid code logs in, creates the member once, and the token works on the RPC path', async () => {
  const first = await login(fake.issueCode('openid-e2e-1'));
  expect(first.status).toBe(200);
  const client = createClient(gw.url, ANON_KEY, {
    accessToken: async () => first.body.access_token,
    realtime: { transport: class { constructor() { throw new Error('no realtime'); } } as any },
  });
  const { data, error } = await client.rpc('me');
  expect(error).toBeNull();
  expect(data).toEqual([expect.objectContaining({ id: first.body.user.id, member_code: first.body.user.member_code })]);

  const again = await login(fake.issueCode('openid-e2e-1'));
  expect(again.body.user.id).toBe(first.body.user.id);
  expect(await memberCount()).toBe(1);
});

test('a code the fake WeChat rejects gives no token and no member', async () => {
  const before = await memberCount();
  const code = fake.issueCode('openid-e2e-2');
  expect((await login(code)).status).toBe(200);
  const reused = await login(code);
  expect(reused.status).toBe(400);
  expect(reused.body.access_token).toBeUndefined();
  const unknown = await login('not-a-real-code');
  expect(unknown.status).toBe(400);
  expect(unknown.body.access_token).toBeUndefined();
  expect(await memberCount()).toBe(before + 1);
});

test('dev login does not exist outside local mode', async () => {
  const res = await fetch(`${gw.url}/functions/v1/dev-login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', apikey: ANON_KEY }, body: JSON.stringify({ member_code: 'DEMO0001' }),
  });
  expect(res.status).toBe(404);
});

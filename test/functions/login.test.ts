// wechat-login and dev-login, run by the real functions host (Deno) against the WeChat fake
// and a PostgREST stub. End-to-end tests through the gateway and the database live in test/api.
import { randomBytes } from 'node:crypto';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import { freePort, startPostgrestStub, verifyHs256 } from './helpers';

const JWT_SECRET = randomBytes(32).toString('hex');
const SERVICE_ROLE_KEY = `test-service-role-${randomBytes(8).toString('hex')}`;
const APPID = 'wx1234567890abcdef';
const SECRET = 'test-wechat-secret';
const DEMO = { id: '00000000-0000-4000-8000-000000000001', member_code: 'DEMO0001' };

let fake: WechatFake;
let stub: Awaited<ReturnType<typeof startPostgrestStub>>;
let local: FunctionsHost; // REBATE_LOCAL_DEV=1, correct WeChat config
let prod: FunctionsHost; // no REBATE_LOCAL_DEV, wrong WeChat secret
let noSecret: FunctionsHost; // JWT_SECRET not set

beforeAll(async () => {
  fake = await startWechatFake({ appid: APPID, secret: SECRET });
  stub = await startPostgrestStub({ jwtSecret: JWT_SECRET, serviceRoleKey: SERVICE_ROLE_KEY, members: [DEMO] });
  const env = {
    SUPABASE_URL: stub.url,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
    JWT_SECRET,
    SUPABASE_JWT_SECRET: undefined,
    WECHAT_APPID: APPID,
    WECHAT_SECRET: SECRET,
    WECHAT_API_BASE: fake.url,
    TOKEN_TTL_SECONDS: undefined,
  };
  [local, prod, noSecret] = await Promise.all([
    startFunctions({ port: await freePort(), quiet: true, env: { ...env, REBATE_LOCAL_DEV: '1' } }),
    startFunctions({ port: await freePort(), quiet: true, env: { ...env, REBATE_LOCAL_DEV: undefined, WECHAT_SECRET: 'wrong-secret' } }),
    startFunctions({ port: await freePort(), quiet: true, env: { ...env, JWT_SECRET: undefined } }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([local?.stop(), prod?.stop(), noSecret?.stop(), fake?.stop(), stub?.stop()]);
});

async function post(host: FunctionsHost, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${host.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Origin: 'http://localhost:10086', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: JSON.parse(text) as Record<string, any> };
}

const upserts = () => stub.calls.filter((c) => c.fn === 'upsert_member_by_openid').length;

describe('wechat-login', () => {
  test('a valid code signs the member in with a token PostgREST accepts', async () => {
    const code = fake.issueCode('oUser_valid_0001', 'uUnion_0001');
    const before = Math.floor(Date.now() / 1000);
    const res = await post(local, '/wechat-login', { code });

    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const member = stub.members.find((m) => m.openid === 'oUser_valid_0001');
    expect(member?.unionid).toBe('uUnion_0001');
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 7 * 24 * 3600,
      expires_at: expect.any(Number),
      user: { id: member!.id, member_code: member!.member_code },
    });
    const claims = verifyHs256(res.body.access_token, JWT_SECRET);
    expect(claims).toMatchObject({
      sub: member!.id,
      role: 'authenticated',
      aud: 'authenticated',
      app_metadata: { provider: 'wechat' },
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect(claims.exp).toBe(res.body.expires_at);
    expect(claims.exp! - claims.iat!).toBe(7 * 24 * 3600);
    expect(() => verifyHs256(res.body.access_token, `${JWT_SECRET}x`)).toThrow('bad signature');
    // the service RPC was called with the service role key, never the member's token
    const call = stub.calls.filter((c) => c.fn === 'upsert_member_by_openid').at(-1);
    expect(call).toEqual({
      fn: 'upsert_member_by_openid',
      args: { p_openid: 'oUser_valid_0001', p_unionid: 'uUnion_0001' },
      authorization: `Bearer ${SERVICE_ROLE_KEY}`,
    });
    expect(res.text).not.toMatch(/session_key|openid/);
  });

  test('the same WeChat user signs in again as the same member', async () => {
    const first = await post(local, '/wechat-login', { code: fake.issueCode('oUser_again_0001') });
    const second = await post(local, '/wechat-login', { code: fake.issueCode('oUser_again_0001') });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.user).toEqual(first.body.user);
    expect(second.body.access_token).not.toBe('');
  });

  test('a code is refused the second time, without a token', async () => {
    const code = fake.issueCode('oUser_reuse_0001');
    expect((await post(local, '/wechat-login', { code })).status).toBe(200);
    const count = upserts();

    const again = await post(local, '/wechat-login', { code });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ code: 'code_used', message: '登录凭证已被使用，请重新登录' });
    expect(upserts()).toBe(count);
  });

  test('an unknown code is refused', async () => {
    const count = upserts();
    const res = await post(local, '/wechat-login', { code: 'never-issued-code' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 'invalid_code', message: '登录凭证无效或已过期，请重新登录' });
    expect(res.body.access_token).toBeUndefined();
    expect(upserts()).toBe(count);
  });

  test('a code older than 5 minutes is refused', async () => {
    const code = fake.issueCode('oUser_expired_0001');
    fake.advanceTime(5 * 60 * 1000 + 1000);
    const res = await post(local, '/wechat-login', { code });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_code');
  });

  test.each([
    [{}, 400, 'invalid_code'],
    [{ code: 42 }, 400, 'invalid_code'],
    [{ code: '' }, 400, 'invalid_code'],
    ['not json', 400, 'invalid_body'],
    [[1, 2], 400, 'invalid_body'],
  ])('bad input %j is refused', async (body, status, code) => {
    const res = await post(local, '/wechat-login', body);
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(typeof res.body.message).toBe('string');
  });

  test('only POST is allowed', async () => {
    const res = await fetch(`${local.url}/wechat-login`);
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual({ code: 'method_not_allowed', message: '请求方式不支持' });
  });

  test.each([
    [45011, 429, 'rate_limited'],
    [40226, 403, 'login_blocked'],
    [-1, 502, 'wechat_busy'],
    [40029, 400, 'invalid_code'],
    [40163, 400, 'code_used'],
    [99999, 502, 'wechat_error'],
  ])('WeChat errcode %i becomes HTTP %i %s', async (errcode, status, code) => {
    fake.failNext('GET /sns/jscode2session', errcode);
    const res = await post(local, '/wechat-login', { code: fake.issueCode('oUser_errors_0001') });
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    expect(res.body.message).toMatch(/[\u4e00-\u9fff]/);
  });

  test('a wrong WeChat secret in the server config is a server error, not a token', async () => {
    const res = await post(prod, '/wechat-login', { code: fake.issueCode('oUser_config_0001') });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'wechat_misconfigured', message: '服务配置有误，请联系客服' });
  });

  test('without JWT_SECRET it refuses before spending the code', async () => {
    const code = fake.issueCode('oUser_nosecret_0001');
    const res = await post(noSecret, '/wechat-login', { code });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'server_misconfigured', message: '服务配置有误，请联系客服' });
    expect((await post(local, '/wechat-login', { code })).status).toBe(200);
  });

  test('a failing database call is a 500 without details', async () => {
    stub.failNext();
    const res = await post(local, '/wechat-login', { code: fake.issueCode('oUser_dbfail_0001') });
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 'internal_error', message: '服务暂时不可用，请稍后再试' });
  });
});

describe('dev-login', () => {
  test('signs in as a seeded member when REBATE_LOCAL_DEV=1', async () => {
    const res = await post(local, '/dev-login', { member_code: 'demo0001' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'bearer', user: DEMO });
    const claims = verifyHs256(res.body.access_token, JWT_SECRET);
    expect(claims).toMatchObject({ sub: DEMO.id, role: 'authenticated', app_metadata: { provider: 'dev' } });
    const call = stub.calls.filter((c) => c.fn === 'member_id_by_code').at(-1);
    expect(call?.authorization).toBe(`Bearer ${SERVICE_ROLE_KEY}`);
  });

  test('refuses unknown and malformed member codes', async () => {
    const unknown = await post(local, '/dev-login', { member_code: 'NOPE0000' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ code: 'member_not_found', message: '会员不存在' });
    const bad = await post(local, '/dev-login', { member_code: 'DEMO' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_member_code');
  });

  test('does not exist without REBATE_LOCAL_DEV=1', async () => {
    const res = await post(prod, '/dev-login', { member_code: 'DEMO0001' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect(res.body.access_token).toBeUndefined();
    const preflight = await fetch(`${prod.url}/dev-login`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(404);
  });
});

describe('functions host', () => {
  test('answers the CORS preflight of the H5 build', async () => {
    const res = await fetch(`${local.url}/wechat-login`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://localhost:10086',
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization, apikey, content-type, x-client-info',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(/\s*,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'apikey', 'content-type', 'x-client-info']));
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
  });

  test('unknown function names are 404 JSON', async () => {
    const res = await fetch(`${local.url}/no-such-function`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ code: 'function_not_found', message: '接口不存在' });
  });

  test('WeChat being unreachable is a 502', async () => {
    await fake.stop();
    const res = await post(local, '/wechat-login', { code: 'any-code' });
    expect(res.status).toBe(502);
    expect(res.body.code).toBe('wechat_unavailable');
  });
});

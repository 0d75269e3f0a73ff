// Issue 18 (reliability/security) over real HTTP: the gateway and the H5 server forward only to
// their fixed upstream, no request can stop them, deeply nested JSON never reaches Postgres,
// dev-pay answers 401 like the other functions, and the gateway's JWT/apikey checks are strict.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMember, createTestDb, TestDb } from '../helpers/db';
import { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY, memberClient, signTestJwt } from '../helpers/gateway';
import { startTestStack, TestStack } from '../helpers/stack';

let db: TestDb;
let stack: TestStack;
let member: string;
let sentinel: http.Server;
let sentinelHits: string[] = [];
let sentinelPort: number;

const FIXTURES = `
  create function public.hx_echo(p jsonb) returns jsonb language sql stable as $$ select p $$;
  create function public.hx_text(p text) returns int language sql stable as $$ select length(p) $$;
  create function public.hx_whoami() returns text language sql stable as $$ select current_user::text $$;
`;

beforeAll(async () => {
  db = await createTestDb();
  await db.admin.query(FIXTURES);
  member = await createMember(db);
  // a server nobody may reach through the gateway or the H5 server
  sentinel = http.createServer((req, res) => {
    sentinelHits.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"reached":"sentinel"}');
  });
  await new Promise<void>((resolve) => sentinel.listen(0, '127.0.0.1', resolve));
  sentinelPort = (sentinel.address() as AddressInfo).port;
  stack = await startTestStack(db);
}, 90_000);

afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => sentinel?.close(resolve));
  await db?.close();
});

beforeEach(() => { sentinelHits = []; });

interface RawResponse { status: number; headers: http.IncomingHttpHeaders; text: string; json: any }

/** One request with the path sent exactly as given (fetch would normalise `//`, `\`, `..`). */
function raw(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: u.hostname, port: u.port, path, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: any = null;
        try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const anonHeaders = { apikey: ANON_KEY, Authorization: `Bearer ${ANON_KEY}`, 'Content-Type': 'application/json' };

async function memberToken(claims: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return signTestJwt({ aud: 'authenticated', role: 'authenticated', sub: member, iat: now, exp: now + 600, ...claims });
}

describe('finding 1: forwarding reaches only the configured upstream', () => {
  const escapes = (port: number) => [
    `/functions/v1//127.0.0.1:${port}/sns/jscode2session?appid=x`,
    `/functions/v1/\\\\127.0.0.1:${port}/sns/jscode2session?appid=x`,
    `/functions/v1/\\127.0.0.1:${port}/x`,
    `/functions/v1/%2F%2F127.0.0.1:${port}/x`,
    `/functions/v1//%5C127.0.0.1:${port}/x`,
    `/functions/v1/dev-login//127.0.0.1:${port}/x`,
    `/functions/v1/dev-login/..%2F..%2F127.0.0.1:${port}`,
    `/functions/v1/dev-login/../../x`,
    '/functions/v1/Dev-Login',
    '/functions/v1/_health',
    '/functions/v1/-x',
    '/functions/v1/',
  ];

  test('the gateway answers 404 JSON for anything but /functions/v1/<name>, and never reaches another host', async () => {
    for (const path of escapes(sentinelPort)) {
      const r = await raw(stack.gateway.url, path, { method: 'POST', headers: anonHeaders, body: '{}' });
      expect([path, r.status, r.json?.code]).toEqual([path, 404, 'function_not_found']);
    }
    expect(sentinelHits).toEqual([]);
    // the brief's reproduction: the fake WeChat server is not reachable through the gateway either
    const wechatPort = new URL(stack.wechat.url).port;
    const r = await raw(stack.gateway.url, `/functions/v1//127.0.0.1:${wechatPort}/sns/jscode2session?appid=x`);
    expect(r.status).toBe(404);
    expect(r.text).not.toContain('errcode');
  });

  test('the H5 server answers 404 JSON for anything but /functions/v1/<name> and /rest/v1/<path>', async () => {
    const restEscapes = [
      `/rest/v1//127.0.0.1:${sentinelPort}/x`,
      `/rest/v1/\\127.0.0.1:${sentinelPort}/x`,
      `/rest/v1/rpc/%2F%2F127.0.0.1:${sentinelPort}`,
      '/rest/v1/rpc/../../functions/v1/x',
      '/rest/v1/',
    ];
    for (const path of [...escapes(sentinelPort), ...restEscapes]) {
      const r = await raw(stack.h5Url, path, { method: 'POST', headers: anonHeaders, body: '{}' });
      expect([path, r.status, r.headers['content-type']]).toEqual([path, 404, 'application/json; charset=utf-8']);
    }
    expect(sentinelHits).toEqual([]);
  });

  test('real function and RPC calls still go through, on both', async () => {
    for (const base of [stack.gateway.url, stack.h5Url]) {
      // reaches dev-login, which refuses an invalid member code (its own answer)
      const f = await raw(base, '/functions/v1/dev-login', { method: 'POST', headers: anonHeaders, body: '{"member_code":"?"}' });
      expect([base, f.status, f.json]).toEqual([base, 400, { code: 'invalid_member_code', message: '会员编号格式不正确' }]);
      const r = await raw(base, '/rest/v1/rpc/hx_text?p=abc', { headers: anonHeaders });
      expect([base, r.status, r.json]).toEqual([base, 200, 3]);
    }
  });
});

describe('finding 2: no request stops the H5 server or the gateway', () => {
  test('a malformed percent-encoding gets 400 from the H5 server, which keeps serving', async () => {
    const bad = await raw(stack.h5Url, '/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ code: 'bad_request', message: '请求地址无效' });
    for (const path of ['/%00', '/a%2F..%2F..%2Fetc%2Fpasswd', '/..%2F..%2Fpackage.json']) {
      const r = await raw(stack.h5Url, path);
      expect(r.status).toBeLessThan(500);
      expect(r.text).not.toContain('"name": "queue-rebate"');
    }
    const after = await raw(stack.h5Url, '/rest/v1/rpc/hx_text?p=ok', { headers: anonHeaders });
    expect([after.status, after.json]).toEqual([200, 2]);
  });

  test('the gateway answers malformed targets with a 4xx and keeps serving', async () => {
    const r1 = await raw(stack.gateway.url, '/%E0%A4%A');
    expect(r1.status).toBe(404);
    const r2 = await raw(stack.gateway.url, '//[', { headers: anonHeaders });
    expect(r2.status).toBe(400);
    expect(Object.keys(r2.json).sort()).toEqual(['code', 'details', 'hint', 'message']);
    expect((await raw(stack.gateway.url, '/health')).json).toEqual({ status: 'ok' });
  });

  test('clients that hang up mid-request do not stop either server', async () => {
    for (const [base, path] of [
      [stack.gateway.url, '/rest/v1/rpc/hx_echo'],
      [stack.gateway.url, '/functions/v1/dev-login'],
      [stack.h5Url, '/functions/v1/dev-login'],
      [stack.h5Url, '/rest/v1/rpc/hx_echo'],
    ]) {
      const u = new URL(base);
      await new Promise<void>((resolve) => {
        const req = http.request({ hostname: u.hostname, port: u.port, path, method: 'POST', headers: { ...anonHeaders, 'Content-Length': '100000' } });
        req.on('error', () => resolve());
        req.write('{"p": [1, 2, 3');
        setTimeout(() => { req.destroy(); resolve(); }, 100);
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect((await raw(stack.gateway.url, '/health')).status).toBe(200);
    expect((await raw(stack.h5Url, '/rest/v1/rpc/hx_text?p=x', { headers: anonHeaders })).status).toBe(200);
  });
});

describe('finding 3: deep JSON and malformed RPC names are 4xx, before Postgres', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  test.each([
    ['anon', () => Promise.resolve(ANON_KEY)],
    ['member', () => memberToken()],
    ['service_role', () => Promise.resolve(SERVICE_ROLE_KEY)],
  ])('a body nested 50,000 levels deep → 400 PGRST102 for %s', async (_who, token) => {
    const headers = { ...anonHeaders, Authorization: `Bearer ${await token()}` };
    const r = await raw(stack.gateway.url, '/rest/v1/rpc/hx_echo', { method: 'POST', headers, body: `{"p": ${deep(50000)}}` });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 'PGRST102', message: 'Empty or invalid json', details: 'JSON nested deeper than 512 levels', hint: null });
    const text = await raw(stack.gateway.url, '/rest/v1/rpc/hx_text', { method: 'POST', headers, body: `{"p": "x", "q": ${deep(50000)}}` });
    expect([text.status, text.json.code]).toEqual([400, 'PGRST102']);
  });

  test('the limit is 512 levels; strings do not count; GET arguments are checked too', async () => {
    const ok = await raw(stack.gateway.url, '/rest/v1/rpc/hx_echo', { method: 'POST', headers: anonHeaders, body: `{"p": ${deep(511)}}` });
    expect(ok.status).toBe(200);
    const quoted = await raw(stack.gateway.url, '/rest/v1/rpc/hx_text', { method: 'POST', headers: anonHeaders, body: JSON.stringify({ p: '['.repeat(5000) }) });
    expect([quoted.status, quoted.json]).toEqual([200, 5000]);
    const over = await raw(stack.gateway.url, '/rest/v1/rpc/hx_echo', { method: 'POST', headers: anonHeaders, body: `{"p": ${deep(512)}}` });
    expect([over.status, over.json.code]).toEqual([400, 'PGRST102']);
    const get = await raw(stack.gateway.url, `/rest/v1/rpc/hx_echo?p=${deep(600)}`, { headers: anonHeaders });
    expect([get.status, get.json.code]).toEqual([400, 'PGRST100']);
    const getOk = await raw(stack.gateway.url, `/rest/v1/rpc/hx_echo?p=${deep(3)}`, { headers: anonHeaders });
    expect([getOk.status, getOk.json]).toEqual([200, [[[]]]]);
  });

  test('a malformed percent-encoding in the RPC name → 404 PGRST202', async () => {
    for (const method of ['POST', 'GET']) {
      const r = await raw(stack.gateway.url, '/rest/v1/rpc/%E0%A4%A', { method, headers: anonHeaders, body: method === 'POST' ? '{}' : undefined });
      expect(r.status).toBe(404);
      expect(r.json.code).toBe('PGRST202');
      expect(Object.keys(r.json).sort()).toEqual(['code', 'details', 'hint', 'message']);
    }
  });
});

describe('finding 4: dev-pay refuses the anon key with 401 like the other functions', () => {
  test.each([
    ['dev-pay', '{"order_id": 1}'],
    ['invite-qrcode', '{}'],
  ])('%s with the anon key as bearer → 401 login_required', async (name, body) => {
    const r = await raw(stack.gateway.url, `/functions/v1/${name}`, { method: 'POST', headers: anonHeaders, body });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ code: 'login_required', message: '请先登录' });
  });
});

describe('finding 5: strict JWT and apikey checks', () => {
  /** A member token whose signature contains a '-' or '_' (so the +/ alphabet differs). */
  async function tokenWithUrlChars(): Promise<string> {
    for (let i = 0; ; i += 1) {
      const t = await memberToken({ n: i });
      if (/[-_]/.test(t.split('.')[2])) return t;
    }
  }

  async function call(token: string, apikey: string | null = ANON_KEY) {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
    if (apikey !== null) headers.apikey = apikey;
    return raw(stack.gateway.url, '/rest/v1/rpc/hx_whoami', { method: 'POST', headers, body: '{}' });
  }

  test('a valid member token works (control)', async () => {
    const r = await call(await memberToken());
    expect([r.status, r.json]).toEqual([200, 'authenticated']);
    const client = await memberClient(stack.gateway.url, member);
    expect((await client.rpc('hx_whoami')).data).toBe('authenticated');
  });

  test('signatures with trailing garbage, padding, the +/ alphabet or unused bits set are refused', async () => {
    const good = await tokenWithUrlChars();
    const [h, p, sig] = good.split('.');
    const sameBytes = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')
      .map((c) => sig.slice(0, -1) + c)
      .find((s) => s !== sig && Buffer.from(s, 'base64url').equals(Buffer.from(sig, 'base64url')))!;
    const forged = [
      `${sig}=`, `${sig}==`, `${sig}!!`, `${sig}*`, `${sig}%`,
      sig.replace(/-/g, '+').replace(/_/g, '/'),
      sameBytes,
    ];
    for (const s of forged) {
      // the forged signature decodes to the right bytes under Node's lenient decoder
      expect(Buffer.from(s, 'base64url').equals(Buffer.from(sig, 'base64url'))).toBe(true);
      const r = await call(`${h}.${p}.${s}`);
      expect([s, r.status, r.json?.code]).toEqual([s, 401, 'PGRST301']);
    }
  });

  test('a token without exp is refused (401 PGRST301), for every role', async () => {
    for (const claims of [{ role: 'authenticated', sub: member }, { role: 'service_role' }, { role: 'anon' }]) {
      const r = await call(await signTestJwt(claims));
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ code: 'PGRST301', message: 'JWT has no exp claim', details: null, hint: null });
      expect(r.headers['www-authenticate']).toContain('invalid_token');
    }
    const r = await call(await signTestJwt({ role: 'authenticated', sub: member, exp: 'never' }));
    expect(r.status).toBe(401);
  });

  test("the project's own keys carry exp", () => {
    for (const key of [ANON_KEY, SERVICE_ROLE_KEY]) {
      const claims = JSON.parse(Buffer.from(key.split('.')[1], 'base64url').toString('utf8'));
      expect(typeof claims.exp).toBe('number');
    }
    expect(JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  test('a member token without apikey is refused as Kong does', async () => {
    const r = await call(await memberToken(), null);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ message: 'No API key found in request' });
    const svc = await call(SERVICE_ROLE_KEY, null);
    expect([svc.status, svc.json]).toEqual([401, { message: 'No API key found in request' }]);
    const wrong = await call(await memberToken(), 'not-a-project-key');
    expect([wrong.status, wrong.json]).toEqual([401, { message: 'Invalid authentication credentials' }]);
  });
});

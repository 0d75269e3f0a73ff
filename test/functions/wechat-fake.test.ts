// The WeChat fake itself: it must refuse what WeChat refuses (WECHAT-NOTES.md §1–3).
import { createRequire } from 'node:module';
import jsQR from 'jsqr';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';

const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } };
};

const APPID = 'wxfake0000000001';
const SECRET = 'fake-secret';
let fake: WechatFake;

beforeEach(async () => {
  fake = await startWechatFake({ appid: APPID, secret: SECRET, pages: ['pages/index/index', 'pages/invite/index'] });
});
afterEach(() => fake.stop());

async function call(path: string, init?: RequestInit) {
  const res = await fetch(`${fake.url}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', bytes: Buffer.from(await res.arrayBuffer()) };
}
async function callJson(path: string, init?: RequestInit) {
  const res = await call(path, init);
  return { ...res, json: JSON.parse(res.bytes.toString('utf8')) as Record<string, any> };
}
const postJson = (path: string, body: unknown) => callJson(path, { method: 'POST', body: JSON.stringify(body) });

function login(code: string, { appid = APPID, secret = SECRET, grant = 'authorization_code' } = {}) {
  return callJson(`/sns/jscode2session?${new URLSearchParams({ appid, secret, js_code: code, grant_type: grant })}`);
}

describe('jscode2session', () => {
  test('a code gives openid, unionid and a session key once', async () => {
    const code = fake.issueCode('oA', 'uA');
    expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const ok = await login(code);
    expect(ok.status).toBe(200);
    expect(ok.json).toEqual({ openid: 'oA', unionid: 'uA', session_key: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/) });
    const again = await login(code);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ errcode: 40163, errmsg: expect.stringMatching(/^code been used, rid: /) });
  });

  test('no unionid unless the user has one', async () => {
    expect((await login(fake.issueCode('oB'))).json).not.toHaveProperty('unionid');
  });

  test.each([
    [{ appid: '' }, 41002],
    [{ appid: 'wxother' }, 40013],
    [{ secret: '' }, 41004],
    [{ secret: 'wrong' }, 40125],
    [{ grant: 'client_credential' }, 40002],
  ])('refuses %j with errcode %i at HTTP 200', async (override, errcode) => {
    const res = await login(fake.issueCode('oC'), override);
    expect(res.status).toBe(200);
    expect(res.json.errcode).toBe(errcode);
  });

  test('codes expire after 5 minutes and unknown codes are invalid', async () => {
    const code = fake.issueCode('oD');
    fake.advanceTime(4 * 60 * 1000);
    const stillValid = fake.issueCode('oD');
    fake.advanceTime(60 * 1000);
    expect((await login(code)).json.errcode).toBe(40029);
    expect((await login(stillValid)).json.openid).toBe('oD');
    expect((await login('unknown')).json.errcode).toBe(40029);
  });

  test('more than 100 logins of one user in a minute hit 45011', async () => {
    for (let i = 0; i < 100; i += 1) expect((await login(fake.issueCode('oE'))).json.openid).toBe('oE');
    expect((await login(fake.issueCode('oE'))).json.errcode).toBe(45011);
    expect((await login(fake.issueCode('oF'))).json.openid).toBe('oF');
    fake.advanceTime(61 * 1000);
    expect((await login(fake.issueCode('oE'))).json.openid).toBe('oE');
  });

  test('POST is the wrong method', async () => {
    expect((await callJson('/sns/jscode2session', { method: 'POST' })).json.errcode).toBe(43001);
  });

  test('the test hook issues codes over HTTP', async () => {
    const { json } = await postJson('/__fake__/code', { openid: 'oG' });
    expect((await login(json.code)).json.openid).toBe('oG');
  });
});

describe('stable_token', () => {
  const body = { grant_type: 'client_credential', appid: APPID, secret: SECRET };

  test('returns the same token until 5 minutes before expiry, then a new one', async () => {
    const first = await postJson('/cgi-bin/stable_token', body);
    expect(first.json).toEqual({ access_token: expect.any(String), expires_in: 7200 });
    expect(first.json.access_token.length).toBeLessThanOrEqual(512);
    fake.advanceTime(3600 * 1000);
    const same = await postJson('/cgi-bin/stable_token', body);
    expect(same.json.access_token).toBe(first.json.access_token);
    expect(same.json.expires_in).toBeLessThanOrEqual(3600);
    fake.advanceTime((3600 - 300) * 1000);
    const renewed = await postJson('/cgi-bin/stable_token', body);
    expect(renewed.json.access_token).not.toBe(first.json.access_token);
    expect(renewed.json.expires_in).toBe(7200);
  });

  test('force_refresh issues a new token; the old one lasts 5 more minutes', async () => {
    const old = (await postJson('/cgi-bin/stable_token', body)).json.access_token as string;
    const fresh = (await postJson('/cgi-bin/stable_token', { ...body, force_refresh: true })).json.access_token;
    expect(fresh).not.toBe(old);
    const wxacode = (token: string) => call(`/wxa/getwxacodeunlimit?access_token=${token}`, {
      method: 'POST', body: JSON.stringify({ scene: 'x' }),
    });
    expect((await wxacode(old)).type).toBe('image/jpeg');
    fake.advanceTime(301 * 1000);
    expect(JSON.parse((await wxacode(old)).bytes.toString()).errcode).toBe(42001);
    expect((await wxacode(fresh)).type).toBe('image/jpeg');
  });

  test.each([
    [{ ...body, grant_type: 'authorization_code' }, 40002],
    [{ ...body, appid: 'wxother' }, 40013],
    [{ ...body, secret: 'wrong' }, 40125],
  ])('refuses %j with %i', async (b, errcode) => {
    expect((await postJson('/cgi-bin/stable_token', b)).json.errcode).toBe(errcode);
  });

  test('GET is the wrong method', async () => {
    expect((await callJson('/cgi-bin/stable_token')).json.errcode).toBe(43002);
  });
});

describe('getwxacodeunlimit', () => {
  let token: string;
  beforeEach(async () => {
    token = (await postJson('/cgi-bin/stable_token', { grant_type: 'client_credential', appid: APPID, secret: SECRET }))
      .json.access_token;
  });
  const wxacode = (body: unknown, t: string = token) =>
    call(`/wxa/getwxacodeunlimit?access_token=${t}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  const errcodeOf = async (body: unknown, t?: string) => {
    const res = await wxacode(body, t);
    expect(res.type).toMatch(/^application\/json/);
    return JSON.parse(res.bytes.toString()).errcode as number;
  };

  test('renders a code the app can read the scene from (PNG bytes labelled image/jpeg)', async () => {
    const scene = "m=DEMO0001&q=7~!*()'";
    const res = await wxacode({ scene, page: 'pages/invite/index', width: 100 });
    expect(res.status).toBe(200);
    expect(res.type).toBe('image/jpeg');
    expect(res.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const png = PNG.sync.read(res.bytes);
    expect(png.width).toBe(280); // width is clamped to 280–1280
    const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(JSON.parse(qr!.data)).toEqual({ page: 'pages/invite/index', scene, env_version: 'release' });
  });

  test('without page it opens the home page; unpublished pages need check_path false', async () => {
    expect((await wxacode({ scene: 'a' })).type).toBe('image/jpeg');
    expect(await errcodeOf({ scene: 'a', page: 'pages/new/index' })).toBe(41030);
    expect((await wxacode({ scene: 'a', page: 'pages/new/index', check_path: false })).type).toBe('image/jpeg');
  });

  test.each([
    [{}, 40169],
    [{ scene: '' }, 40169],
    [{ scene: 'a'.repeat(33) }, 40169],
    ['scene=a', 40169],
    [{ scene: 'a%20b' }, 40129],
    [{ scene: '会员' }, 40129],
    [{ scene: 'a b' }, 40129],
    [{ scene: 'a', page: '/pages/index/index' }, 41030],
    [{ scene: 'a', page: 'pages/index/index?x=1', check_path: false }, 41030],
    [{ scene: 'a', page: 'pages/scancode_time/index', check_path: false }, 41030],
    [{ scene: 'a', env_version: 'beta' }, 40097],
  ])('refuses %j with %i', async (body, errcode) => {
    expect(await errcodeOf(body)).toBe(errcode);
  });

  test('needs a valid access token', async () => {
    expect(await errcodeOf({ scene: 'a' }, '')).toBe(41001);
    expect(await errcodeOf({ scene: 'a' }, 'bogus')).toBe(40001);
    fake.advanceTime(7201 * 1000);
    expect(await errcodeOf({ scene: 'a' })).toBe(42001);
  });
});

test('injected errors answer once', async () => {
  fake.failNext('GET /sns/jscode2session', -1);
  const code = fake.issueCode('oH');
  expect((await login(code)).json).toEqual({ errcode: -1, errmsg: expect.stringMatching(/^system error, rid: /) });
  expect((await login(code)).json.openid).toBe('oH');
});

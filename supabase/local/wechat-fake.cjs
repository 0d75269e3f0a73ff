// A local stand-in for the WeChat mini-program server APIs (api.weixin.qq.com), following
// /work/shared/WECHAT-NOTES.md §0–3. Point WECHAT_API_BASE at its url.
//
// Like WeChat, it answers API errors as HTTP 200 with {errcode, errmsg: '…, rid: …'}.
// Implemented:  GET  /sns/jscode2session        (login codes: 5 minutes, single use)
//               POST /cgi-bin/stable_token      (access tokens: 7200 s, renewed 300 s before expiry)
//               POST /wxa/getwxacodeunlimit     (mini-program codes, rendered as a plain QR code PNG)
//               POST /__fake__/code             (test hook: what wx.login() would hand the app)
// To add an API, add a 'METHOD /path' entry to `routes` below.
'use strict';
const http = require('node:http');
const { randomBytes } = require('node:crypto');

const CODE_TTL_MS = 5 * 60 * 1000;
const LOGIN_PER_MINUTE = 100; // per user (45011 beyond)
const TOKEN_TTL_S = 7200;
const TOKEN_RENEW_BEFORE_S = 300;
const SCENE_CHARS = /^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*$/;
const ENV_VERSIONS = new Set(['release', 'trial', 'develop']);

const ERRMSG = {
  '-1': 'system error',
  40001: 'invalid credential, access_token is invalid or not latest',
  40002: 'invalid grant_type',
  40013: 'invalid appid',
  40029: 'invalid code',
  40097: 'invalid args',
  40125: 'invalid appsecret',
  40129: 'invalid scene',
  40163: 'code been used',
  40169: 'invalid length for scene, or the data is not json string',
  41001: 'access_token missing',
  41002: 'appid missing',
  41004: 'appsecret missing',
  41008: 'missing code',
  41030: 'invalid page',
  42001: 'access_token expired',
  43001: 'require GET method',
  43002: 'require POST method',
  45011: 'api minute-quota reach limit mustslower retry next minute',
};

const hex = (n) => randomBytes(n).toString('hex');

/** Thrown inside a route: becomes WeChat's HTTP 200 error body. */
class WechatApiError extends Error {
  constructor(errcode, errmsg = ERRMSG[errcode] ?? 'error') {
    super(errmsg);
    this.errcode = errcode;
  }
}

/**
 * @param {{ port?: number, appid: string, secret: string, pages?: string[] }} options
 *   pages: the pages of the "published version" (check_path); the first is the home page.
 */
async function startWechatFake({ port = 0, appid, secret, pages = ['pages/index/index'] }) {
  if (!appid || !secret) throw new Error('startWechatFake needs appid and secret');

  let clockOffsetMs = 0;
  const now = () => Date.now() + clockOffsetMs;

  /** code → { openid, unionid?, expiresAt, used } */
  const codes = new Map();
  /** openid → timestamps of jscode2session calls in the last minute */
  const loginCalls = new Map();
  /** access token → expiresAt; `stable` is the one stable_token hands out in normal mode */
  const tokens = new Map();
  let stable = null;
  /** 'METHOD /path' → [{ errcode, errmsg }]: errors the next calls must return */
  const injected = new Map();

  // ------------------------------------------------------------ shared checks
  function checkApp(q) {
    if (!q.appid) throw new WechatApiError(41002);
    if (q.appid !== appid) throw new WechatApiError(40013);
    if (!q.secret) throw new WechatApiError(41004);
    if (q.secret !== secret) throw new WechatApiError(40125);
  }

  function checkAccessToken(token) {
    if (!token) throw new WechatApiError(41001);
    const expiresAt = tokens.get(token);
    if (expiresAt === undefined) throw new WechatApiError(40001);
    if (now() >= expiresAt) throw new WechatApiError(42001);
  }

  function newToken(ttlSeconds) {
    const token = randomBytes(96).toString('base64url');
    tokens.set(token, now() + ttlSeconds * 1000);
    return token;
  }

  // ------------------------------------------------------------ routes
  function jscode2session({ query }) {
    checkApp(query);
    if (query.grant_type !== 'authorization_code') throw new WechatApiError(40002);
    if (!query.js_code) throw new WechatApiError(41008);
    const entry = codes.get(query.js_code);
    if (!entry || now() >= entry.expiresAt) throw new WechatApiError(40029);
    if (entry.used) throw new WechatApiError(40163);

    const recent = (loginCalls.get(entry.openid) ?? []).filter((t) => now() - t < 60_000);
    if (recent.length >= LOGIN_PER_MINUTE) throw new WechatApiError(45011);
    recent.push(now());
    loginCalls.set(entry.openid, recent);

    entry.used = true;
    const body = { session_key: randomBytes(16).toString('base64'), openid: entry.openid };
    if (entry.unionid) body.unionid = entry.unionid;
    // The real endpoint has been seen labelling its JSON text/plain: clients must parse the body.
    return { type: 'text/plain', body: JSON.stringify(body) };
  }

  function stableToken({ json }) {
    if (json === undefined) throw new WechatApiError(47001, 'data format error');
    if (json.grant_type !== 'client_credential') throw new WechatApiError(40002);
    checkApp(json);
    const remaining = stable ? Math.floor((tokens.get(stable) - now()) / 1000) : 0;
    if (json.force_refresh === true) {
      // the previous token stays usable for up to 5 more minutes
      if (stable) tokens.set(stable, Math.min(tokens.get(stable), now() + TOKEN_RENEW_BEFORE_S * 1000));
      stable = null;
    } else if (stable && remaining > TOKEN_RENEW_BEFORE_S) {
      return { json: { access_token: stable, expires_in: remaining } };
    }
    stable = newToken(TOKEN_TTL_S);
    return { json: { access_token: stable, expires_in: TOKEN_TTL_S } };
  }

  async function getwxacodeunlimit({ query, json }) {
    checkAccessToken(query.access_token);
    if (json === undefined) throw new WechatApiError(40169);
    const { scene, page, check_path: checkPath = true, env_version: envVersion = 'release' } = json;
    if (typeof scene !== 'string' || scene.length === 0 || scene.length > 32) throw new WechatApiError(40169);
    if (!SCENE_CHARS.test(scene)) throw new WechatApiError(40129);
    if (!ENV_VERSIONS.has(envVersion)) throw new WechatApiError(40097);
    if (page !== undefined) {
      if (typeof page !== 'string' || page.startsWith('/') || page.includes('?') || page.includes('scancode_time')) {
        throw new WechatApiError(41030);
      }
      if (checkPath !== false && !pages.includes(page)) throw new WechatApiError(41030);
    }
    const width = Math.min(1280, Math.max(280, Number.isFinite(json.width) ? json.width : 430));
    const { r = 0, g = 0, b = 0 } = json.auto_color ? {} : (json.line_color ?? {});
    const dark = '#' + [r, g, b].map((c) => Number(c).toString(16).padStart(2, '0')).join('');

    // A real wxacode is a "sun code"; ours is a QR code of what the app would receive, so tests can
    // decode it (jsqr) and check page and scene.
    const QRCode = require('qrcode');
    const png = await QRCode.toBuffer(JSON.stringify({ page: page ?? pages[0], scene, env_version: envVersion }), {
      type: 'png', width, margin: 1, color: { dark: `${dark}ff`, light: json.is_hyaline ? '#ffffff00' : '#ffffffff' },
    });
    // WeChat labels success image/jpeg even when the bytes are PNG: clients must sniff the magic bytes.
    return { type: 'image/jpeg', body: png };
  }

  function fakeCode({ json }) {
    if (typeof json?.openid !== 'string' || !json.openid) throw new WechatApiError(40003, 'invalid openid');
    return { json: { code: issueCode(json.openid, json.unionid) } };
  }

  const routes = {
    'GET /sns/jscode2session': jscode2session,
    'POST /cgi-bin/stable_token': stableToken,
    'POST /wxa/getwxacodeunlimit': getwxacodeunlimit,
    'POST /__fake__/code': fakeCode,
  };

  // ------------------------------------------------------------ server
  const send = (res, status, type, body) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const sendError = (res, errcode, errmsg) => send(res, 200, 'application/json; encoding=utf-8',
    JSON.stringify({ errcode, errmsg: `${errmsg}, rid: ${hex(4)}-${hex(4)}-${hex(4)}` }));

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://wechat.fake');
      const key = `${req.method} ${url.pathname}`;
      const route = routes[key];
      if (!route) {
        const other = Object.keys(routes).find((k) => k.endsWith(` ${url.pathname}`));
        if (!other) return send(res, 404, 'text/plain', 'not found');
        const errcode = other.startsWith('POST') ? 43002 : 43001; // wrong method
        return sendError(res, errcode, ERRMSG[errcode]);
      }
      const chunks = [];
      for await (const chunk of req) chunks.push(chunk);
      const raw = Buffer.concat(chunks).toString('utf8');
      let json;
      try {
        const parsed = raw ? JSON.parse(raw) : undefined;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed;
      } catch { /* json stays undefined */ }

      const queued = injected.get(key);
      if (queued?.length) {
        const { errcode, errmsg } = queued.shift();
        return sendError(res, errcode, errmsg ?? ERRMSG[errcode] ?? 'error');
      }
      const out = await route({ query: Object.fromEntries(url.searchParams), json, raw });
      if (out.json !== undefined) return send(res, 200, 'application/json; encoding=utf-8', JSON.stringify(out.json));
      return send(res, 200, out.type, out.body);
    } catch (err) {
      if (err instanceof WechatApiError) return sendError(res, err.errcode, err.message);
      console.error('wechat fake:', err);
      return sendError(res, -1, ERRMSG['-1']);
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });

  // ------------------------------------------------------------ API for tests and the local stack
  /** The code `wx.login()` would give this user: valid 5 minutes, usable once. */
  function issueCode(openid, unionid) {
    const code = randomBytes(24).toString('base64url'); // 32 characters, like a real code
    codes.set(code, { openid, unionid, expiresAt: now() + CODE_TTL_MS, used: false });
    return code;
  }

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    issueCode,
    /** Makes the next call of 'METHOD /path' answer this WeChat error (e.g. -1, 45011, 40226). */
    failNext(route, errcode, errmsg) {
      if (!routes[route]) throw new Error(`unknown route ${route}`);
      injected.set(route, [...(injected.get(route) ?? []), { errcode, errmsg }]);
    },
    /** Moves the fake's clock forward (code and token expiry). */
    advanceTime(ms) {
      clockOffsetMs += ms;
    },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

// `node supabase/local/wechat-fake.cjs` runs it on its own (port REBATE_WECHAT_FAKE_PORT, default 54326).
if (require.main === module) {
  startWechatFake({
    port: Number(process.env.REBATE_WECHAT_FAKE_PORT ?? 54326),
    appid: process.env.WECHAT_APPID ?? 'wx0000000000000000',
    secret: process.env.WECHAT_SECRET ?? 'local-wechat-secret',
  }).then((fake) => console.log(`wechat fake on ${fake.url}`));
}

module.exports = { startWechatFake };

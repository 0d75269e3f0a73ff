// A local stand-in for the WeChat mini-program server APIs (api.weixin.qq.com), following
// /work/shared/WECHAT-NOTES.md §0–3. Point WECHAT_API_BASE at its url.
//
// Like WeChat, it answers API errors as HTTP 200 with {errcode, errmsg: '…, rid: …'}.
// Implemented:  GET  /sns/jscode2session        (login codes: 5 minutes, single use)
//               POST /cgi-bin/stable_token      (access tokens: 7200 s, renewed 300 s before expiry)
//               POST /wxa/getwxacodeunlimit     (mini-program codes, rendered as a plain QR code PNG)
//               POST /__fake__/code             (test hook: what wx.login() would hand the app)
//               POST /cgi-bin/message/subscribe/send (subscribe messages: wechat-fake-subscribe.cjs)
// To add an API, add a 'METHOD /path' entry to `routes` below.
//
// WeChat Pay API v3 (§5; errors as real HTTP statuses with {code, message, detail?}):
//               POST /v3/pay/transactions/jsapi                     → {prepay_id}
//               GET  /v3/pay/transactions/out-trade-no/{no}?mchid=  → the transaction
//               POST /v3/pay/transactions/out-trade-no/{no}/close   → 204
//   Every request must carry a valid WECHATPAY2-SHA256-RSA2048 Authorization signed with the
//   merchant key (else 401 SIGN_ERROR); every answer is signed with the fake's WeChat Pay key
//   (serial PUB_KEY_ID_FAKE). Test hooks: fake.payOrder / POST /__fake__/pay (the user pays:
//   TRANSACTION.SUCCESS), fake.refund / POST /__fake__/refund (REFUND.SUCCESS). Notifications
//   are AES-256-GCM encrypted with the APIv3 key, signed, POSTed to notify_url and retried until
//   it answers 200 or 204 (WeChat's schedule, or `pay.notifyRetryDelaysMs`).
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { randomBytes } = crypto;
const { installPayouts } = require('./wechat-fake-payouts.cjs');
const { createRefunds } = require('./wechat-fake-refunds.cjs');

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

// ------------------------------------------------------------ WeChat Pay constants
// WeChat's retry schedule for unanswered notifications (about 24 h 4 min in all).
const NOTIFY_RETRY_DELAYS_MS = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]
  .map((s) => s * 1000);
const NOTIFY_TIMEOUT_MS = 5000;
const PREPAY_TTL_MS = 2 * 3600 * 1000;
const SIGNATURE_MAX_SKEW_S = 300;
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const alnum = (n) => Array.from(randomBytes(n), (b) => ALNUM[b % 62]).join('');
const digits = (n) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
/** RFC 3339 in Beijing time, as WeChat Pay writes times. */
const beijingTime = (ms) => `${new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 19)}+08:00`;

/** Thrown inside a WeChat Pay route: becomes a real HTTP error with {code, message, detail?}. */
class PayApiError extends Error {
  constructor(status, code, message, detail) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}
const paramError = (field, issue) => new PayApiError(400, 'PARAM_ERROR', `参数错误: ${field} ${issue}`,
  { field, location: 'body', issue });
const signError = (message) => new PayApiError(401, 'SIGN_ERROR', message);

// The pages of our mini-program that scanned codes open (client/app.config.ts), home first.
const PUBLISHED_PAGES = ['pages/index/index', 'packages/invite/join/index', 'packages/cashier/index'];

/** Thrown inside a route: becomes WeChat's HTTP 200 error body. */
class WechatApiError extends Error {
  constructor(errcode, errmsg = ERRMSG[errcode] ?? 'error') {
    super(errmsg);
    this.errcode = errcode;
  }
}

/**
 * @param {{ port?: number, appid: string, secret: string, pages?: string[], pay?: object }} options
 *   pages: the pages of the "published version" (check_path); the first is the home page. By default
 *   the app's home and the pages its codes open (invite/merchant join page, cashier page).
 *   pay: WeChat Pay settings (all optional): mchid, merchantSerialNo, merchantPublicKey (PEM; by
 *   default a key pair is generated and its private half exposed for the functions), apiV3Key,
 *   platformSerial, notifyRetryDelaysMs (WeChat's schedule by default).
 */
async function startWechatFake({ port = 0, appid, secret, pages = PUBLISHED_PAGES, pay: payOptions = {} }) {
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
  // subscribe messages (§4): wechat-fake-subscribe.cjs
  const subscribe = require('./wechat-fake-subscribe.cjs').createSubscribeFake({ now, checkAccessToken, WechatApiError });
  Object.assign(routes, subscribe.routes);

  // ------------------------------------------------------------ WeChat Pay
  const mchid = payOptions.mchid ?? '1900000001';
  const merchantSerialNo = payOptions.merchantSerialNo ?? hex(20).toUpperCase();
  const apiV3Key = payOptions.apiV3Key ?? alnum(32);
  const platformSerial = payOptions.platformSerial ?? 'PUB_KEY_ID_FAKE';
  const retryDelaysMs = payOptions.notifyRetryDelaysMs ?? NOTIFY_RETRY_DELAYS_MS;
  if (Buffer.byteLength(apiV3Key) !== 32) throw new Error('pay.apiV3Key must be 32 bytes');

  // RSA keys are made on first use: most tests of the fake never touch WeChat Pay.
  let keys = null;
  function payKeys() {
    if (keys) return keys;
    const platform = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    let merchantPublic;
    let merchantPrivate = null;
    if (payOptions.merchantPublicKey) {
      merchantPublic = crypto.createPublicKey(payOptions.merchantPublicKey);
    } else {
      ({ publicKey: merchantPublic, privateKey: merchantPrivate } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
    }
    keys = { platformPrivate: platform.privateKey, platformPublic: platform.publicKey, merchantPublic, merchantPrivate };
    return keys;
  }
  const pem = (key, type) => key.export({ type, format: 'pem' }).toString();

  /** out_trade_no → trade */
  const trades = new Map();
  /** 'METHOD /v3/…' (path without the order number) → [{ status, code, message }] */
  const payInjected = new Map();
  const notifications = [];
  const timers = new Set();

  /** Signs timestamp\nnonce\nbody\n as WeChat Pay signs its answers and notifications. */
  function wechatpayHeaders(body, { timestamp = Math.floor(now() / 1000), nonce = alnum(32), key, serial } = {}) {
    const signature = crypto.sign('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`),
      key ?? payKeys().platformPrivate).toString('base64');
    return {
      'Wechatpay-Timestamp': String(timestamp),
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Signature': signature,
      'Wechatpay-Serial': serial ?? platformSerial,
      'Request-ID': `08${hex(14).toUpperCase()}`,
    };
  }

  /** The merchant's Authorization: WECHATPAY2-SHA256-RSA2048 over METHOD\nPATH?QUERY\nTS\nNONCE\nBODY\n. */
  function checkMerchantSignature(req, pathAndQuery, raw) {
    const header = req.headers.authorization ?? '';
    const m = /^WECHATPAY2-SHA256-RSA2048 (.+)$/.exec(header);
    if (!m) throw signError('Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》');
    const fields = {};
    for (const part of m[1].matchAll(/(\w+)="([^"]*)"/g)) fields[part[1]] = part[2];
    const { mchid: mch, nonce_str: nonce, signature, timestamp, serial_no: serial } = fields;
    if (!mch || !nonce || !signature || !/^\d+$/.test(timestamp ?? '') || !serial) {
      throw signError('Http头Authorization值格式错误，请参考《微信支付商户REST API签名规则》');
    }
    if (mch !== mchid) throw signError('商户号不存在或未开通APIv3');
    if (serial !== merchantSerialNo) throw signError('商户证书序列号有误。请使用签名私钥匹配的证书序列号');
    if (Math.abs(now() / 1000 - Number(timestamp)) > SIGNATURE_MAX_SKEW_S) throw signError('请求时间戳过期');
    const message = Buffer.from(`${req.method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${raw}\n`);
    let ok = false;
    try {
      ok = crypto.verify('sha256', message, payKeys().merchantPublic, Buffer.from(signature, 'base64'));
    } catch { /* ok stays false */ }
    if (!ok) throw signError('签名错误，请检查后再试');
    return mch;
  }

  /** A NOTPAY trade past its time_expire is closed (WeChat closes it then). */
  function currentTrade(outTradeNo) {
    const t = trades.get(outTradeNo);
    if (t && t.state === 'NOTPAY' && t.timeExpireMs !== null && now() >= t.timeExpireMs) t.state = 'CLOSED';
    return t;
  }

  const STATE_DESC = { NOTPAY: '订单未支付', SUCCESS: '支付成功', REFUND: '转入退款', CLOSED: '订单已关闭' };

  /** The transaction as the query API and the TRANSACTION.SUCCESS resource show it. */
  function transactionView(t) {
    const view = {
      appid: t.appid, mchid: t.mchid, out_trade_no: t.out_trade_no, transaction_id: t.transaction_id ?? undefined,
      trade_type: t.transaction_id ? 'JSAPI' : undefined, trade_state: t.state, trade_state_desc: STATE_DESC[t.state],
      bank_type: t.transaction_id ? 'OTHERS' : undefined, attach: t.attach ?? '',
      success_time: t.successTimeMs ? beijingTime(t.successTimeMs) : undefined,
      payer: { openid: t.payer.openid },
      amount: t.transaction_id
        ? { total: t.amount.total, payer_total: t.amount.total, currency: 'CNY', payer_currency: 'CNY' }
        : { total: t.amount.total, currency: 'CNY' },
    };
    return JSON.parse(JSON.stringify(view)); // drops the undefined fields
  }

  function validateJsapi(json, authMchid) {
    if (json === undefined) throw new PayApiError(400, 'PARAM_ERROR', '请求体格式错误，应为 JSON 对象');
    for (const field of ['appid', 'mchid', 'description', 'out_trade_no', 'notify_url']) {
      if (typeof json[field] !== 'string' || json[field] === '') throw paramError(field, '为必填字符串');
    }
    if (json.mchid !== authMchid) throw new PayApiError(400, 'INVALID_REQUEST', '请求体中的商户号与 Authorization 中的商户号不一致');
    if (json.appid !== appid) throw new PayApiError(400, 'APPID_MCHID_NOT_MATCH', 'appid和mch_id不匹配');
    if ([...json.description].length > 127) throw paramError('description', '长度不能超过127个字符');
    if (!OUT_TRADE_NO.test(json.out_trade_no)) throw paramError('out_trade_no', '应为6-32位数字、大小写字母、_-|*');
    let notify;
    try { notify = new URL(json.notify_url); } catch { throw paramError('notify_url', '不是有效的URL'); }
    const localHttp = notify.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(notify.hostname);
    if (json.notify_url.length > 255 || (notify.protocol !== 'https:' && !localHttp) || notify.search || notify.hash) {
      // the real service accepts only https; the fake also takes http on this machine
      throw paramError('notify_url', '应为不带参数的https地址，长度不超过255');
    }
    let timeExpireMs = null;
    if (json.time_expire !== undefined) {
      timeExpireMs = typeof json.time_expire === 'string' && RFC3339.test(json.time_expire) ? Date.parse(json.time_expire) : NaN;
      if (!Number.isFinite(timeExpireMs)) throw paramError('time_expire', '应为rfc3339格式');
      if (timeExpireMs < now() + 60_000 || timeExpireMs > now() + 90 * 86400_000) {
        throw paramError('time_expire', '应在下单时间1分钟之后、90天之内');
      }
    }
    const amount = json.amount;
    if (!amount || typeof amount !== 'object' || !Number.isSafeInteger(amount.total) || amount.total < 1) {
      throw paramError('amount.total', '应为大于0的整数（分）');
    }
    if (amount.currency !== undefined && amount.currency !== 'CNY') throw paramError('amount.currency', '仅支持CNY');
    const openid = json.payer?.openid;
    if (typeof openid !== 'string' || openid.length < 1 || openid.length > 128) throw paramError('payer.openid', '为必填字符串');
    if (json.attach !== undefined && (typeof json.attach !== 'string' || [...json.attach].length > 128)) {
      throw paramError('attach', '长度不能超过128个字符');
    }
    return timeExpireMs;
  }

  function jsapi({ json, mch }) {
    const timeExpireMs = validateJsapi(json, mch);
    // what must be identical when the same out_trade_no is prepaid again
    const request = JSON.stringify({
      appid: json.appid, mchid: json.mchid, description: json.description, time_expire: timeExpireMs,
      notify_url: json.notify_url, total: json.amount.total, openid: json.payer.openid, attach: json.attach ?? null,
    });
    let t = currentTrade(json.out_trade_no);
    if (t) {
      if (t.state === 'SUCCESS' || t.state === 'REFUND') throw new PayApiError(403, 'ORDERPAID', '该订单已支付');
      if (t.state === 'CLOSED') throw new PayApiError(400, 'ORDER_CLOSED', '订单已关闭');
      if (t.request !== request) throw new PayApiError(403, 'OUT_TRADE_NO_USED', '商户订单号重复，请核实商户订单号是否重复提交');
    } else {
      t = {
        appid: json.appid, mchid: json.mchid, out_trade_no: json.out_trade_no, description: json.description,
        notify_url: json.notify_url, amount: { total: json.amount.total, currency: 'CNY' }, payer: { openid: json.payer.openid },
        attach: json.attach, timeExpireMs, request, state: 'NOTPAY', prepays: [], transaction_id: null, successTimeMs: null,
        refunds: [], refundedFen: 0,
      };
      trades.set(json.out_trade_no, t);
    }
    const last = t.prepays[t.prepays.length - 1];
    if (!last || now() - last.at >= PREPAY_TTL_MS) {
      const stamp = beijingTime(now()).replace(/\D/g, '').slice(0, 14);
      t.prepays.push({ id: `wx${stamp}${hex(10)}`, at: now() });
    }
    return { json: { prepay_id: t.prepays[t.prepays.length - 1].id } };
  }

  function queryTrade({ params, query }) {
    if (query.mchid !== mchid) throw new PayApiError(400, 'PARAM_ERROR', '参数错误: mchid 与商户号不一致');
    const t = currentTrade(params.no);
    if (!t) throw new PayApiError(404, 'ORDER_NOT_EXIST', '订单不存在');
    return { json: transactionView(t) };
  }

  function closeTrade({ params, json }) {
    if (json?.mchid !== mchid) throw paramError('mchid', '与商户号不一致');
    const t = currentTrade(params.no);
    if (!t) throw new PayApiError(404, 'ORDER_NOT_EXIST', '订单不存在');
    if (t.state === 'SUCCESS' || t.state === 'REFUND') throw new PayApiError(403, 'ORDERPAID', '订单已支付');
    t.state = 'CLOSED';
    return { status: 204 };
  }

  const payRoutes = [
    ['POST', /^\/v3\/pay\/transactions\/jsapi$/, 'POST /v3/pay/transactions/jsapi', jsapi],
    ['GET', /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/, 'GET /v3/pay/transactions/out-trade-no/{no}', queryTrade],
    ['POST', /^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/, 'POST /v3/pay/transactions/out-trade-no/{no}/close', closeTrade],
  ];
  // merchant transfers and trade bills: wechat-fake-payouts.cjs
  const payouts = installPayouts({ appid, mchid, now, PayApiError, paramError, WechatApiError, payKeys, platformSerial, beijingTime,
    alnum, digits, trades, notificationBody, deliver, baseUrl: () => `http://127.0.0.1:${server.address().port}` });
  payRoutes.push(...payouts.routes);
  // refunds: POST /v3/refund/domestic/refunds, GET …/refunds/{out_refund_no} (wechat-fake-refunds.cjs)
  const refundsFake = createRefunds({ mchid, now, currentTrade, trades, PayApiError, paramError, notificationBody, deliver, post, beijingTime, digits, timers });
  payRoutes.push(...refundsFake.routes);

  /** Answers a /v3/ request: signature check, route, a signed answer. */
  async function servePay(req, res, url, raw) {
    let status = 200;
    let body = '';
    let rawType = null; // a file download (the trade bill), not JSON
    try {
      const route = payRoutes.find(([, re]) => re.test(url.pathname));
      if (!route) throw new PayApiError(404, 'NOT_FOUND', '请求的资源不存在');
      const [method, re, name, handler] = route;
      if (req.method !== method) throw new PayApiError(405, 'METHOD_NOT_ALLOWED', `请使用 ${method} 方法`);
      const mch = checkMerchantSignature(req, url.pathname + url.search, raw);
      const queued = payInjected.get(name);
      if (queued?.length) {
        const e = queued.shift();
        throw new PayApiError(e.status, e.code, e.message ?? e.code);
      }
      let json;
      try {
        const parsed = raw ? JSON.parse(raw) : undefined;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed;
      } catch { /* json stays undefined */ }
      const no = re.exec(url.pathname)[1];
      const out = await handler({ json, mch, headers: req.headers, query: Object.fromEntries(url.searchParams), params: { no: no && decodeURIComponent(no) } });
      status = out.status ?? 200;
      if (out.json !== undefined) body = JSON.stringify(out.json);
      else if (out.raw !== undefined) [body, rawType] = [out.raw, out.type];
    } catch (err) {
      if (!(err instanceof PayApiError)) console.error('wechat pay fake:', err);
      const e = err instanceof PayApiError ? err : new PayApiError(500, 'SYSTEM_ERROR', '系统错误');
      status = e.status;
      body = JSON.stringify(e.detail ? { code: e.code, message: e.message, detail: e.detail } : { code: e.code, message: e.message });
    }
    const headers = { ...wechatpayHeaders(body), 'Content-Length': Buffer.byteLength(body) };
    if (body) headers['Content-Type'] = rawType ?? 'application/json; charset=utf-8';
    res.writeHead(status, headers);
    res.end(body);
  }

  // ------------------------------------------------------------ WeChat Pay notifications
  function encryptResource(plain, associatedData) {
    const nonce = alnum(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(apiV3Key), Buffer.from(nonce));
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return { algorithm: 'AEAD_AES_256_GCM', ciphertext: ciphertext.toString('base64'), associated_data: associatedData, nonce };
  }

  /** A notification body as WeChat Pay sends it (the resource encrypted). */
  function notificationBody({ eventType, summary, originalType, associatedData, resource }) {
    return JSON.stringify({
      id: crypto.randomUUID(),
      create_time: beijingTime(now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: { original_type: originalType, ...encryptResource(JSON.stringify(resource), associatedData) },
    });
  }

  /** One POST of a notification; `sign` overrides the signature (forgeries in tests). */
  async function post(url, body, sign = {}) {
    const headers = { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0', ...wechatpayHeaders(body, sign) };
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(NOTIFY_TIMEOUT_MS) });
      return { status: res.status, body: await res.text(), at: now() };
    } catch (err) {
      return { status: 0, body: String(err), at: now() };
    }
  }
  const delivered = (status) => status === 200 || status === 204;

  /**
   * Sends a notification and keeps retrying on WeChat's schedule until the merchant answers
   * 200 or 204. Resolves after the first attempt with the notification's record.
   */
  async function deliver(url, body, resource) {
    const record = { url, body, resource, attempts: [], delivered: null };
    let settle;
    record.delivered = new Promise((resolve) => { settle = resolve; });
    notifications.push(record);
    const attempt = async (i) => {
      const result = await post(url, body);
      record.attempts.push(result);
      if (delivered(result.status)) return settle(true);
      if (stopped || i >= retryDelaysMs.length) return settle(false);
      const timer = setTimeout(() => { timers.delete(timer); attempt(i + 1); }, retryDelaysMs[i]);
      timer.unref?.();
      timers.add(timer);
    };
    await attempt(0);
    return record;
  }

  /** The user pays: the trade becomes SUCCESS and TRANSACTION.SUCCESS goes to its notify_url. */
  async function payOrder(outTradeNo) {
    const t = currentTrade(outTradeNo);
    if (!t) throw new Error(`no prepaid trade ${outTradeNo}`);
    if (t.state !== 'NOTPAY') throw new Error(`trade ${outTradeNo} is ${t.state}`);
    t.state = 'SUCCESS';
    t.transaction_id = `4200${beijingTime(now()).replace(/\D/g, '').slice(0, 8)}${digits(16)}`;
    t.successTimeMs = now();
    const resource = transactionView(t);
    const body = notificationBody({
      eventType: 'TRANSACTION.SUCCESS', summary: '支付成功', originalType: 'transaction', associatedData: 'transaction', resource,
    });
    return deliver(t.notify_url, body, resource);
  }

  /** A refund succeeds (all that is left, unless `refund` fen is given): REFUND.SUCCESS is sent. */
  async function refund(outTradeNo, { refund: refundFen, outRefundNo = `RF${alnum(20)}`, notifyUrl } = {}) {
    const t = currentTrade(outTradeNo);
    if (!t || (t.state !== 'SUCCESS' && t.state !== 'REFUND')) throw new Error(`trade ${outTradeNo} is not paid`);
    if (!OUT_REFUND_NO.test(outRefundNo)) throw new Error(`bad out_refund_no ${outRefundNo}`);
    const amount = refundFen ?? t.amount.total - t.refundedFen;
    if (!Number.isSafeInteger(amount) || amount < 1 || amount > t.amount.total - t.refundedFen) {
      throw new Error(`cannot refund ${amount} of ${t.amount.total - t.refundedFen} fen`);
    }
    const r = { refund_id: `50${digits(27)}`, out_refund_no: outRefundNo, amount, successTimeMs: now() };
    t.refunds.push(r);
    t.refundedFen += amount;
    t.state = 'REFUND';
    const resource = {
      mchid: t.mchid, out_trade_no: t.out_trade_no, transaction_id: t.transaction_id, out_refund_no: r.out_refund_no,
      refund_id: r.refund_id, refund_status: 'SUCCESS', success_time: beijingTime(r.successTimeMs),
      user_received_account: '支付用户零钱',
      amount: { total: t.amount.total, refund: amount, payer_total: t.amount.total, payer_refund: amount },
    };
    // the refund's associated_data is unconfirmed; WeChat's examples show it empty
    const body = notificationBody({ eventType: 'REFUND.SUCCESS', summary: '退款成功', originalType: 'refund', associatedData: '', resource });
    return deliver(notifyUrl ?? t.notify_url, body, resource);
  }

  function fakePay({ json }) {
    if (typeof json?.out_trade_no !== 'string') throw new WechatApiError(40097, 'out_trade_no missing');
    return payOrder(json.out_trade_no).then((n) => ({ json: { transaction_id: n.resource.transaction_id, status: n.attempts[0].status } }))
      .catch((err) => { throw new WechatApiError(40097, err.message); });
  }

  function fakeRefund({ json }) {
    if (typeof json?.out_trade_no !== 'string') throw new WechatApiError(40097, 'out_trade_no missing');
    return refund(json.out_trade_no, { refund: json.refund, outRefundNo: json.out_refund_no })
      .then((n) => ({ json: { refund_id: n.resource.refund_id, status: n.attempts[0].status } }))
      .catch((err) => { throw new WechatApiError(40097, err.message); });
  }

  routes['POST /__fake__/pay'] = fakePay;
  routes['POST /__fake__/refund'] = fakeRefund;
  Object.assign(routes, payouts.fakeRoutes);

  // ------------------------------------------------------------ server
  const send = (res, status, type, body) => {
    res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };
  const sendError = (res, errcode, errmsg) => send(res, 200, 'application/json; encoding=utf-8',
    JSON.stringify({ errcode, errmsg: `${errmsg}, rid: ${hex(4)}-${hex(4)}-${hex(4)}` }));

  let stopped = false;
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://wechat.fake');
      if (url.pathname.startsWith('/v3/')) {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        return await servePay(req, res, url, Buffer.concat(chunks).toString('utf8'));
      }
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
    /** Moves the fake's clock forward (code and token expiry, time_expire, signature timestamps). */
    advanceTime(ms) {
      clockOffsetMs += ms;
    },
    pay: {
      mchid,
      appid,
      merchantSerialNo,
      apiV3Key,
      platformSerial,
      /** PKCS#8 PEM of the generated merchant key (null when a merchantPublicKey was given). */
      get merchantPrivateKeyPem() {
        return payKeys().merchantPrivate ? pem(payKeys().merchantPrivate, 'pkcs8') : null;
      },
      get merchantPublicKeyPem() {
        return pem(payKeys().merchantPublic, 'spki');
      },
      /** The WeChat Pay public key (SPKI PEM) that verifies answers and notifications. */
      get platformPublicKeyPem() {
        return pem(payKeys().platformPublic, 'spki');
      },
      get platformPrivateKey() {
        return payKeys().platformPrivate;
      },
      /** The functions' WeChat Pay environment pointing at this fake. */
      env(notifyUrl) {
        return {
          WECHATPAY_API_BASE: `http://127.0.0.1:${server.address().port}`,
          WECHAT_APPID: appid,
          WECHATPAY_MCHID: mchid,
          WECHATPAY_SERIAL_NO: merchantSerialNo,
          WECHATPAY_PRIVATE_KEY: this.merchantPrivateKeyPem ?? undefined,
          WECHATPAY_API_V3_KEY: apiV3Key,
          WECHATPAY_PLATFORM_SERIAL: platformSerial,
          WECHATPAY_PLATFORM_PUBLIC_KEY: this.platformPublicKeyPem,
          WECHATPAY_NOTIFY_URL: notifyUrl,
        };
      },
      /** The trade as the query API shows it, plus its prepay ids and refunds; undefined if none. */
      trade(outTradeNo) {
        const t = currentTrade(outTradeNo);
        return t && { ...transactionView(t), prepay_ids: t.prepays.map((p) => p.id), refunds: t.refunds.map((r) => ({ ...r })) };
      },
      /** Makes the next call of e.g. 'POST /v3/pay/transactions/jsapi' answer this error. */
      failNext(route, status, code, message) {
        if (!payRoutes.some(([, , name]) => name === route)) throw new Error(`unknown route ${route}`);
        payInjected.set(route, [...(payInjected.get(route) ?? []), { status, code, message }]);
      },
      /** Refunds made through the API: mode, finish, faults (wechat-fake-refunds.cjs). */
      refunds: refundsFake.api,
      /** Every notification sent, with its attempts. */
      notifications,
      /** Encrypts a resource as WeChat Pay does (AEAD_AES_256_GCM with the APIv3 key). */
      encryptResource,
      /** The Wechatpay-* headers over this body (override timestamp, nonce, key, serial to forge). */
      sign: wechatpayHeaders,
    },
    /** Subscribe messages: templates, acceptances, what was sent (wechat-fake-subscribe.cjs). */
    subscribe: subscribe.api,
    payOrder,
    refund,
    /** Merchant transfers and trade bills (wechat-fake-payouts.cjs): state changes and fault injection. */
    payouts: payouts.api,
    /**
     * POSTs one notification (no retries), built from `resource` and signed as WeChat Pay does
     * unless `sign` overrides it ({timestamp, nonce, key, serial}); `body` replaces the whole body.
     */
    async sendNotification(url, { eventType = 'TRANSACTION.SUCCESS', summary = '支付成功', originalType = 'transaction',
      associatedData = originalType === 'refund' ? '' : originalType, resource, body, sign } = {}) {
      const text = body ?? notificationBody({ eventType, summary, originalType, associatedData, resource });
      return { ...(await post(url, text, sign)), sent: text };
    },
    /** Delivers an earlier notification again, byte for byte (WeChat does send duplicates). */
    resend(notification, sign) {
      return post(notification.url, notification.body, sign);
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
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

// Client of the WeChat mini-program server APIs (at WECHAT_API_BASE; a fake server locally).
// WeChat answers errors as HTTP 200 with {errcode, errmsg}; a missing errcode means success.
import { HttpError } from './http.ts';

export interface WechatApp {
  apiBase: string;
  appId: string;
  secret: string;
}

/** What login needs from jscode2session. The session_key is dropped here: it never leaves the server. */
export interface WechatSession {
  openid: string;
  unionid?: string;
}

/** A failed WeChat call, with the errcode WeChat gave (if any). */
export class WechatError extends HttpError {
  constructor(status: number, code: string, message: string, readonly errcode?: number) {
    super(status, code, message);
    this.name = 'WechatError';
  }
}

type Mapping = [status: number, code: string, message: string];

const LOGIN_ERRORS: Record<number, Mapping> = {
  40029: [400, 'invalid_code', '登录凭证无效或已过期，请重新登录'],
  40163: [400, 'code_used', '登录凭证已被使用，请重新登录'],
  45011: [429, 'rate_limited', '登录太频繁，请稍后再试'],
  40226: [403, 'login_blocked', '该微信账号存在安全风险，暂时无法登录'],
  [-1]: [502, 'wechat_busy', '微信服务繁忙，请稍后再试'],
};

// Errors that mean our own appid/secret/server setup is wrong, not the user's request.
const CONFIG_ERRCODES = new Set([40002, 40013, 40125, 40164, 40243, 41002, 41004]);
const MISCONFIGURED: Mapping = [500, 'wechat_misconfigured', '服务配置有误，请联系客服'];
const UNKNOWN: Mapping = [502, 'wechat_error', '微信服务异常，请稍后再试'];
const UNREACHABLE: Mapping = [502, 'wechat_unavailable', '无法连接微信服务，请稍后再试'];

const TIMEOUT_MS = 8000;

function fail([status, code, message]: Mapping, errcode?: number): WechatError {
  return new WechatError(status, code, message, errcode);
}

/** GET <base><path>?<query>, returning the JSON body; network failures and non-JSON become 502. */
async function getJson(base: string, path: string, query: Record<string, string>): Promise<Record<string, unknown>> {
  const url = `${base}${path}?${new URLSearchParams(query)}`;
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  } catch (err) {
    console.error(`wechat ${path} unreachable:`, err);
    throw fail(UNREACHABLE);
  }
  try {
    const body: unknown = JSON.parse(text); // the header may say text/plain: parse the body regardless
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch { /* fall through */ }
  console.error(`wechat ${path} answered non-JSON:`, text.slice(0, 200));
  throw fail(UNREACHABLE);
}

/** code2Session: exchanges the code from `wx.login()` for the user's openid (and unionid). */
export async function code2Session(app: WechatApp, code: string): Promise<WechatSession> {
  if (!app.appId || !app.secret) {
    console.error('WECHAT_APPID / WECHAT_SECRET are not set');
    throw fail(MISCONFIGURED);
  }
  const body = await getJson(app.apiBase, '/sns/jscode2session', {
    appid: app.appId,
    secret: app.secret,
    js_code: code,
    grant_type: 'authorization_code',
  });
  const errcode = Number(body.errcode ?? 0);
  if (errcode !== 0) {
    if (!(errcode in LOGIN_ERRORS)) console.error('jscode2session failed:', errcode, body.errmsg);
    throw fail(LOGIN_ERRORS[errcode] ?? (CONFIG_ERRCODES.has(errcode) ? MISCONFIGURED : UNKNOWN), errcode);
  }
  if (typeof body.openid !== 'string' || body.openid === '') {
    console.error('jscode2session answered without openid');
    throw fail(UNKNOWN);
  }
  const session: WechatSession = { openid: body.openid };
  if (typeof body.unionid === 'string' && body.unionid !== '') session.unionid = body.unionid;
  return session;
}

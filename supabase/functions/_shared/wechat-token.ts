// The WeChat access token (WECHAT-NOTES §2), shared by every function instance through one
// database row: read it, and when it is missing or expires within 300 s, get one from
// POST /cgi-bin/stable_token (stable tokens: parallel instances never invalidate each other's).
import type { SupabaseClient } from '@supabase/supabase-js';
import { HttpError } from './http.ts';
import type { WechatApp } from './wechat.ts';
import { WechatError } from './wechat.ts';

const TIMEOUT_MS = 8000;

// errcodes that mean our appid/secret/server setup is wrong (WECHAT-NOTES §0, §2)
const CONFIG_ERRCODES = new Set([40002, 40013, 40125, 40164, 40243, 41002, 41004, 48001]);
/** errcodes that mean the token itself is bad: refetch and retry once */
export const TOKEN_ERRCODES = new Set([40001, 40014, 42001]);

export function misconfigured(): WechatError {
  return new WechatError(500, 'wechat_misconfigured', '服务配置有误，请联系客服');
}

export function wechatFailed(errcode?: number): WechatError {
  if (errcode !== undefined && CONFIG_ERRCODES.has(errcode)) return misconfigured();
  if (errcode === 45009 || errcode === 45011) return new WechatError(429, 'wechat_rate_limited', '请求太频繁，请稍后再试', errcode);
  if (errcode === -1) return new WechatError(502, 'wechat_busy', '微信服务繁忙，请稍后再试', errcode);
  return new WechatError(502, 'wechat_error', '微信服务异常，请稍后再试', errcode);
}

/** POST <base><path> with a JSON body; returns the response (network failures become 502). */
export async function postWechat(base: string, path: string, body: unknown): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    console.error(`wechat ${path.split('?')[0]} unreachable:`, err);
    throw new WechatError(502, 'wechat_unavailable', '无法连接微信服务，请稍后再试');
  }
}

function rpcFailed(name: string, error: unknown): HttpError {
  console.error(`rpc ${name} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

/** The access token: the cached one unless `forceRefresh`, else a new one (then cached). */
export async function accessToken(app: WechatApp, service: SupabaseClient, forceRefresh = false): Promise<string> {
  if (!app.appId || !app.secret) throw misconfigured();
  if (!forceRefresh) {
    const cached = await service.rpc('wechat_token_get', { p_appid: app.appId });
    if (cached.error) throw rpcFailed('wechat_token_get', cached.error);
    const token = (cached.data as { access_token?: unknown } | null)?.access_token;
    if (typeof token === 'string' && token) return token;
  }
  const res = await postWechat(app.apiBase, '/cgi-bin/stable_token', {
    grant_type: 'client_credential',
    appid: app.appId,
    secret: app.secret,
    ...(forceRefresh ? { force_refresh: true } : {}),
  });
  let body: Record<string, unknown>;
  try {
    body = await res.json() as Record<string, unknown>;
  } catch {
    console.error('stable_token answered non-JSON, HTTP', res.status);
    throw new WechatError(502, 'wechat_unavailable', '无法连接微信服务，请稍后再试');
  }
  const errcode = Number(body.errcode ?? 0);
  if (errcode !== 0) {
    console.error('stable_token failed:', errcode, body.errmsg);
    throw wechatFailed(errcode);
  }
  const token = body.access_token;
  const expiresIn = Number(body.expires_in);
  if (typeof token !== 'string' || !token || !Number.isInteger(expiresIn) || expiresIn <= 0) {
    console.error('stable_token answered without a token');
    throw wechatFailed();
  }
  const put = await service.rpc('wechat_token_put', {
    p_appid: app.appId,
    p_access_token: token,
    p_expires_in: Math.min(expiresIn, 86400),
  });
  if (put.error) throw rpcFailed('wechat_token_put', put.error);
  return token;
}

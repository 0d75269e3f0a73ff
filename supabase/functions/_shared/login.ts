// Login: WeChat code (or, in local mode only, a member code) → member → our own access token.
// The token is an HS256 JWT like the ones Supabase Auth issues, so PostgREST accepts it as
// role `authenticated` with `auth.uid()` = the member id. There is no refresh token: when it
// expires the client calls wx.login() and this function again.
import { type Config, readConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { type Handler, HttpError, json, postJson } from './http.ts';
import { signJwt } from './jwt.ts';
import { code2Session } from './wechat.ts';

export interface SessionResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** Unix seconds. */
  expires_at: number;
  user: { id: string; member_code: string };
}

function rpcFailed(name: string, error: unknown): HttpError {
  console.error(`rpc ${name} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

/** Reads the config and checks what every login needs, before any login code is spent. */
export function loginConfig(): Config {
  const cfg = readConfig();
  const missing = [
    ['JWT_SECRET', cfg.jwtSecret],
    ['SUPABASE_URL', cfg.supabaseUrl],
    ['SUPABASE_SERVICE_ROLE_KEY', cfg.serviceRoleKey],
  ].filter(([, value]) => !value).map(([name]) => name);
  if (missing.length > 0) {
    console.error(`not set: ${missing.join(', ')}`);
    throw new HttpError(500, 'server_misconfigured', '服务配置有误，请联系客服');
  }
  return cfg;
}

/** Signs the member's token and reads their member code back through `me()` with it. */
export async function issueSession(cfg: Config, memberId: string, provider: string): Promise<SessionResponse> {
  const iat = Math.floor(Date.now() / 1000);
  const exp = iat + cfg.tokenTtlSeconds;
  const accessToken = await signJwt({
    aud: 'authenticated',
    role: 'authenticated',
    sub: memberId,
    iat,
    exp,
    app_metadata: { provider },
  }, cfg.jwtSecret);

  const { data, error } = await userClient(cfg, accessToken).rpc('me');
  const row = Array.isArray(data) ? data[0] as { id?: unknown; member_code?: unknown } : undefined;
  if (error || row?.id !== memberId || typeof row.member_code !== 'string') throw rpcFailed('me', error ?? data);

  return {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: exp - iat,
    expires_at: exp,
    user: { id: memberId, member_code: row.member_code },
  };
}

/** POST {code} where code comes from wx.login(). */
export const handleWechatLogin: Handler = postJson(async (body) => {
  const code = body.code;
  if (typeof code !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(code)) {
    throw new HttpError(400, 'invalid_code', '登录凭证无效或已过期，请重新登录');
  }
  const cfg = loginConfig();
  const session = await code2Session(
    { apiBase: cfg.wechatApiBase, appId: cfg.wechatAppId, secret: cfg.wechatSecret },
    code,
  );
  const { data, error } = await serviceClient(cfg).rpc('upsert_member_by_openid', {
    p_openid: session.openid,
    p_unionid: session.unionid ?? null,
  });
  if (error || typeof data !== 'string') throw rpcFailed('upsert_member_by_openid', error ?? data);
  return issueSession(cfg, data, 'wechat');
});

/** POST {member_code}: signs in as a seeded member. Exists only when REBATE_LOCAL_DEV=1. */
export const handleDevLogin: Handler = (req) => {
  if (!readConfig().localDev) return Promise.resolve(json(404, { code: 'not_found', message: '接口不存在' }));
  return devLogin(req);
};

const devLogin = postJson(async (body) => {
  const memberCode = typeof body.member_code === 'string' ? body.member_code.trim().toUpperCase() : '';
  if (!/^[A-Z0-9]{8}$/.test(memberCode)) {
    throw new HttpError(400, 'invalid_member_code', '会员编号格式不正确');
  }
  const cfg = loginConfig();
  const { data, error } = await serviceClient(cfg).rpc('member_id_by_code', { p_member_code: memberCode });
  if (error) throw rpcFailed('member_id_by_code', error);
  if (typeof data !== 'string') throw new HttpError(404, 'member_not_found', '会员不存在');
  return issueSession(cfg, data, 'dev');
});

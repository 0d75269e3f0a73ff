// Settings of the edge functions, read from the environment on each call
// (so tests and the local host can change them without restarting anything).

export interface Config {
  /** HS256 secret that PostgREST / Supabase Auth use to verify JWTs. */
  jwtSecret: string;
  supabaseUrl: string;
  serviceRoleKey: string;
  wechatAppId: string;
  wechatSecret: string;
  /** Base URL of the WeChat mini-program APIs; a fake server locally. */
  wechatApiBase: string;
  /** True only when the stack runs in local mode (enables dev-login). */
  localDev: boolean;
  tokenTtlSeconds: number;
}

const DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

function env(name: string): string {
  return Deno.env.get(name)?.trim() ?? '';
}

export function readConfig(): Config {
  const ttl = Number(env('TOKEN_TTL_SECONDS') || DEFAULT_TOKEN_TTL_SECONDS);
  return {
    // JWT_SECRET is a secret you set on hosted Supabase; SUPABASE_JWT_SECRET is the legacy name.
    jwtSecret: env('JWT_SECRET') || env('SUPABASE_JWT_SECRET'),
    supabaseUrl: env('SUPABASE_URL'),
    serviceRoleKey: env('SUPABASE_SERVICE_ROLE_KEY'),
    wechatAppId: env('WECHAT_APPID'),
    wechatSecret: env('WECHAT_SECRET'),
    wechatApiBase: (env('WECHAT_API_BASE') || 'https://api.weixin.qq.com').replace(/\/+$/, ''),
    localDev: env('REBATE_LOCAL_DEV') === '1',
    tokenTtlSeconds: Number.isInteger(ttl) && ttl > 0 ? ttl : DEFAULT_TOKEN_TTL_SECONDS,
  };
}

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

/** WeChat Pay API v3 (JSAPI). Every field is required for payments to be offered. */
export interface WechatPayConfig {
  /** Base URL of WeChat Pay; a fake server locally. */
  apiBase: string;
  /** The mini-program's appid (WECHAT_APPID): prepay `appid` and the appId of wx.requestPayment. */
  appId: string;
  mchId: string;
  /** Serial number of the merchant API certificate whose private key signs our requests. */
  merchantSerialNo: string;
  /** The merchant API private key, PKCS#8 PEM (apiclient_key.pem). */
  merchantPrivateKey: string;
  /** The 32-byte APIv3 key that decrypts notification resources. */
  apiV3Key: string;
  /** WeChat Pay keys that sign notifications and responses, by `Wechatpay-Serial`. */
  platformKeys: { serial: string; pem: string }[];
  notifyUrl: string;
  /** How long a member has to pay once they first asked to (time_expire), in seconds. */
  orderTtlSeconds: number;
}

const DEFAULT_PAY_TTL_SECONDS = 30 * 60;

/** A PEM from the environment: `\n` written as two characters is read as a newline. */
function pemEnv(name: string): string {
  return env(name).replace(/\\n/g, '\n');
}

/** The WeChat Pay settings, or the names of the missing ones. */
export function readWechatPayConfig(): { config: WechatPayConfig; missing: string[] } {
  const platformKeys = [
    { serial: env('WECHATPAY_PLATFORM_SERIAL'), pem: pemEnv('WECHATPAY_PLATFORM_PUBLIC_KEY') },
    // a second key during WeChat's switch from platform certificates to the WeChat Pay public key
    { serial: env('WECHATPAY_PLATFORM_CERT_SERIAL'), pem: pemEnv('WECHATPAY_PLATFORM_CERT') },
  ].filter((k) => k.serial && k.pem);
  const ttl = Number(env('WECHATPAY_ORDER_TTL_SECONDS') || DEFAULT_PAY_TTL_SECONDS);
  const config: WechatPayConfig = {
    apiBase: (env('WECHATPAY_API_BASE') || 'https://api.mch.weixin.qq.com').replace(/\/+$/, ''),
    appId: env('WECHAT_APPID'),
    mchId: env('WECHATPAY_MCHID'),
    merchantSerialNo: env('WECHATPAY_SERIAL_NO'),
    merchantPrivateKey: pemEnv('WECHATPAY_PRIVATE_KEY'),
    apiV3Key: env('WECHATPAY_API_V3_KEY'),
    platformKeys,
    notifyUrl: env('WECHATPAY_NOTIFY_URL'),
    orderTtlSeconds: Number.isInteger(ttl) && ttl >= 120 && ttl <= 86400 ? ttl : DEFAULT_PAY_TTL_SECONDS,
  };
  const missing = ([
    ['WECHAT_APPID', config.appId],
    ['WECHATPAY_MCHID', config.mchId],
    ['WECHATPAY_SERIAL_NO', config.merchantSerialNo],
    ['WECHATPAY_PRIVATE_KEY', config.merchantPrivateKey],
    ['WECHATPAY_API_V3_KEY', config.apiV3Key],
    ['WECHATPAY_PLATFORM_SERIAL + WECHATPAY_PLATFORM_PUBLIC_KEY', platformKeys.length > 0 ? 'ok' : ''],
    ['WECHATPAY_NOTIFY_URL', config.notifyUrl],
  ] as const).filter(([, value]) => !value).map(([name]) => name);
  return { config, missing };
}

// The one WeChat Pay API v3 client (WECHAT-NOTES.md §5–6; docs/payments.md "Environment"), used by
// every flow: pay-order's JSAPI prepay, expiry's query and close, refunds, merchant transfers and
// the trade bill. One call = the request signed with the merchant key (WECHATPAY2-SHA256-RSA2048),
// a time-out, the answer's WeChat Pay signature verified (every answer, errors included: expiry
// and transfers act on error codes such as ORDER_NOT_EXIST), and — when the caller allows more
// than one attempt — the same request sent again after FREQUENCY_LIMITED, SYSTEM_ERROR or an
// unreachable host, with a short back-off. The caller decides what an answer means. A time-out is
// reported, never retried here: the call may have taken effect at WeChat, so the flow retries it
// later with the same idempotency key (out_trade_no, out_refund_no, out_bill_no).
//   WECHATPAY_TIMEOUT_MS       time-out of one call (100–60000, default 8000; a file download: ×4)
//   WECHATPAY_RETRY_DELAY_MS   back-off before the n-th retry: this × 2^n (0–10000, default 500)
// Also here: the download of a file WeChat Pay hands out (the trade bill: signed request, checked
// by its hash, not by a signature) and the encryption of sensitive fields (user_name).
import type { WechatPayConfig } from './config.ts';
import { authorization, base64Encode, checkWechatpaySignature, pemToDer, spkiOfCertificate } from './wechatpay.ts';

export type CallResult =
  /** WeChat answered (signature verified): HTTP status, the JSON body ({} for 204 or a file), WeChat's code ('' on 2xx). */
  | { kind: 'answer'; status: number; body: Record<string, unknown>; code: string; message: string; raw: Uint8Array }
  /** No (verifiable) answer: time-out, unreachable, or an answer whose signature did not verify. */
  | { kind: 'no_answer'; code: 'TIMEOUT' | 'UNREACHABLE' | 'BAD_SIGNATURE'; message: string };

export interface CallOptions {
  /**
   * Attempts in all (default 1). More than one: FREQUENCY_LIMITED, SYSTEM_ERROR and an unreachable
   * host are tried again at once (the same request, safe with an idempotency key). The flows whose
   * own retry is counted and backed off in the database (transfers) or done by the caller (pay-order:
   * the member; the trade bill: the next run) keep 1.
   */
  attempts?: number;
  /** Sent as given, e.g. Wechatpay-Serial when a field is encrypted. */
  headers?: Record<string, string>;
}

/** The flows that retry at once (refunds, expiry's query and close): 3 attempts in all. */
export const RETRY_AT_ONCE: CallOptions = { attempts: 3 };

const DEFAULT_TIMEOUT_MS = 8000;
const DEFAULT_RETRY_DELAY_MS = 500;
const USER_AGENT = 'queue-rebate-edge/1.0';

/** Time-out of one call (WECHATPAY_TIMEOUT_MS). */
export function wechatpayTimeoutMs(): number {
  const v = Number(Deno.env.get('WECHATPAY_TIMEOUT_MS') ?? '');
  return Number.isInteger(v) && v >= 100 && v <= 60_000 ? v : DEFAULT_TIMEOUT_MS;
}

/** Back-off before the n-th retry (WECHATPAY_RETRY_DELAY_MS × 2^n). */
function retryDelayMs(n: number): number {
  const v = Number(Deno.env.get('WECHATPAY_RETRY_DELAY_MS') ?? '');
  return (Number.isInteger(v) && v >= 0 && v <= 10_000 ? v : DEFAULT_RETRY_DELAY_MS) * 2 ** n;
}

/** WeChat's codes that mean "the same request again later". */
export const RETRIED_CODES = new Set(['FREQUENCY_LIMITED', 'SYSTEM_ERROR']);

function isTimeout(err: unknown): boolean {
  return err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

function jsonObject(raw: Uint8Array): Record<string, unknown> {
  try {
    const v: unknown = raw.length ? JSON.parse(new TextDecoder().decode(raw)) : {};
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch { /* not JSON */ }
  return {};
}

async function once(
  cfg: WechatPayConfig,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  text: string,
  headers: Record<string, string>,
): Promise<CallResult> {
  let res: Response;
  let raw: Uint8Array;
  try {
    res = await fetch(`${cfg.apiBase}${pathAndQuery}`, {
      method,
      headers: {
        Authorization: await authorization(cfg, method, pathAndQuery, text),
        Accept: 'application/json',
        ...(text ? { 'Content-Type': 'application/json' } : {}),
        'User-Agent': USER_AGENT,
        ...headers,
      },
      body: text || undefined,
      signal: AbortSignal.timeout(wechatpayTimeoutMs()),
    });
    raw = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    return { kind: 'no_answer', code: isTimeout(err) ? 'TIMEOUT' : 'UNREACHABLE', message: String(err) };
  }
  const problem = await checkWechatpaySignature(cfg, res.headers, raw);
  if (problem) return { kind: 'no_answer', code: 'BAD_SIGNATURE', message: `answer ${res.status} refused: ${problem}` };
  const body = jsonObject(raw);
  return {
    kind: 'answer',
    status: res.status,
    body,
    code: res.ok ? '' : typeof body.code === 'string' ? body.code : `HTTP_${res.status}`,
    message: typeof body.message === 'string' ? body.message : '',
    raw,
  };
}

/**
 * Calls WeChat Pay: `body` (an object) is sent as JSON; a GET has none. See CallOptions for
 * attempts; a time-out or a refused signature ends the call at once.
 */
export async function wechatpayCall(
  cfg: WechatPayConfig,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  body?: Record<string, unknown>,
  options: CallOptions = {},
): Promise<CallResult> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const attempts = Math.max(1, options.attempts ?? 1);
  let result: CallResult = { kind: 'no_answer', code: 'UNREACHABLE', message: 'not called' };
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, retryDelayMs(i - 1)));
    result = await once(cfg, method, pathAndQuery, text, options.headers ?? {});
    const again = result.kind === 'answer' ? RETRIED_CODES.has(result.code) : result.code === 'UNREACHABLE';
    if (!again) return result;
    if (i + 1 < attempts) {
      console.warn(`wechat pay ${method} ${pathAndQuery.split('?')[0]}: ${result.code}, attempt ${i + 1} of ${attempts}`);
    }
  }
  return result;
}

/** One line for logs and recorded errors: `CODE message` or `HTTP 4xx`. */
export function describe(result: CallResult): string {
  if (result.kind === 'no_answer') return `${result.code} ${result.message}`.trim();
  return `${result.code || `HTTP ${result.status}`}${result.message ? ` ${result.message}` : ''}`;
}

/**
 * GETs a file WeChat Pay handed out (download_url, only on WeChat Pay's own host): the request is
 * signed, the answer is not (the caller checks the file's hash). The answer's `raw` is the file.
 */
export async function wechatpayDownload(cfg: WechatPayConfig, url: string): Promise<CallResult> {
  const u = new URL(url);
  if (u.origin !== new URL(cfg.apiBase).origin) {
    return { kind: 'no_answer', code: 'BAD_SIGNATURE', message: `download_url on another host: ${u.origin}` };
  }
  let res: Response;
  let raw: Uint8Array;
  try {
    res = await fetch(u, {
      headers: { Authorization: await authorization(cfg, 'GET', u.pathname + u.search, ''), 'User-Agent': USER_AGENT },
      signal: AbortSignal.timeout(wechatpayTimeoutMs() * 4),
    });
    raw = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    return { kind: 'no_answer', code: isTimeout(err) ? 'TIMEOUT' : 'UNREACHABLE', message: `download: ${String(err)}` };
  }
  const body = res.ok ? {} : jsonObject(raw);
  return {
    kind: 'answer',
    status: res.status,
    body,
    code: res.ok ? '' : typeof body.code === 'string' ? body.code : `HTTP_${res.status}`,
    message: typeof body.message === 'string' ? body.message : '',
    raw,
  };
}

/** Lower-case hex SHA-1 of the bytes (the trade bill's hash_type SHA1). */
export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Encrypts a sensitive field (user_name) with the WeChat Pay public key: RSA-OAEP with SHA-1 (as
 * WeChat Pay's SDKs do), base64. The request must then carry `Wechatpay-Serial: <that key's serial>`.
 */
export async function encryptSensitive(cfg: WechatPayConfig, plain: string): Promise<{ ciphertext: string; serial: string }> {
  const key = cfg.platformKeys.find((k) => k.serial.startsWith('PUB_KEY_ID_')) ?? cfg.platformKeys[0];
  if (!key) throw new Error('no WeChat Pay public key configured');
  const { label, der } = pemToDer(key.pem, ['PUBLIC KEY', 'CERTIFICATE']);
  const publicKey = await crypto.subtle.importKey(
    'spki',
    label === 'CERTIFICATE' ? spkiOfCertificate(der) : der,
    { name: 'RSA-OAEP', hash: 'SHA-1' },
    false,
    ['encrypt'],
  );
  const sealed = await crypto.subtle.encrypt({ name: 'RSA-OAEP' }, publicKey, new TextEncoder().encode(plain));
  return { ciphertext: base64Encode(new Uint8Array(sealed)), serial: key.serial };
}

// Signed WeChat Pay API v3 calls for the money-out side (transfers, bills): one request helper
// that signs, times out, verifies the answer's signature and hands back WeChat's code; a file
// download (signed request, checked by its hash, not by a signature); and the encryption of
// sensitive fields (user_name) with the WeChat Pay public key (RSA-OAEP, SHA-1, as WeChat Pay's
// SDKs do). WECHAT-NOTES.md §5–6; docs/payments.md.
import type { WechatPayConfig } from './config.ts';
import { authorization, base64Encode, checkWechatpaySignature, pemToDer, spkiOfCertificate } from './wechatpay.ts';

const DEFAULT_TIMEOUT_MS = 8000;

/** A call that got no usable answer: unreachable, timed out, or an answer whose signature failed. */
export class PayCallError extends Error {
  constructor(readonly kind: 'unreachable' | 'unsigned', message: string) {
    super(message);
    this.name = 'PayCallError';
  }
}

export interface PayAnswer {
  status: number;
  /** The JSON object answered ({} when none); on errors {code, message, detail?}. */
  body: Record<string, unknown>;
  /** WeChat's error code on a non-2xx answer ('' when none). */
  code: string;
}

function timeoutMs(): number {
  const ms = Number(Deno.env.get('WECHATPAY_TIMEOUT_MS') ?? DEFAULT_TIMEOUT_MS);
  return Number.isInteger(ms) && ms >= 100 && ms <= 60_000 ? ms : DEFAULT_TIMEOUT_MS;
}

/**
 * One signed request. `extraHeaders` (e.g. Wechatpay-Serial when a field is encrypted) are sent
 * as given. A 2xx answer must carry a valid WeChat Pay signature; error answers are read as they
 * are (their code decides what we do, and a forged error can at worst delay a retry).
 */
export async function payRequest(
  cfg: WechatPayConfig,
  method: 'GET' | 'POST',
  pathAndQuery: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<PayAnswer> {
  const text = body === undefined ? '' : JSON.stringify(body);
  let res: Response;
  let raw: Uint8Array;
  try {
    res = await fetch(`${cfg.apiBase}${pathAndQuery}`, {
      method,
      headers: {
        Authorization: await authorization(cfg, method, pathAndQuery, text),
        Accept: 'application/json',
        ...(text ? { 'Content-Type': 'application/json' } : {}),
        'User-Agent': 'queue-rebate-edge/1.0',
        ...extraHeaders,
      },
      body: text || undefined,
      signal: AbortSignal.timeout(timeoutMs()),
    });
    raw = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new PayCallError('unreachable', `${method} ${pathAndQuery.split('?')[0]}: ${(err as Error)?.name ?? err}`);
  }
  let parsed: Record<string, unknown> = {};
  try {
    const v: unknown = raw.length ? JSON.parse(new TextDecoder().decode(raw)) : {};
    if (v && typeof v === 'object' && !Array.isArray(v)) parsed = v as Record<string, unknown>;
  } catch { /* parsed stays empty */ }
  if (res.ok) {
    const problem = await checkWechatpaySignature(cfg, res.headers, raw);
    if (problem) throw new PayCallError('unsigned', `${method} ${pathAndQuery.split('?')[0]}: answer refused (${problem})`);
    return { status: res.status, body: parsed, code: '' };
  }
  return { status: res.status, body: parsed, code: typeof parsed.code === 'string' ? parsed.code : '' };
}

/** GET a file WeChat Pay handed out (download_url): the request is signed; the caller checks the hash. */
export async function payDownload(cfg: WechatPayConfig, url: string): Promise<{ status: number; bytes: Uint8Array; code: string }> {
  const u = new URL(url);
  if (u.origin !== new URL(cfg.apiBase).origin) throw new PayCallError('unsigned', `download_url on another host: ${u.origin}`);
  let res: Response;
  let bytes: Uint8Array;
  try {
    res = await fetch(u, {
      headers: {
        Authorization: await authorization(cfg, 'GET', u.pathname + u.search, ''),
        'User-Agent': 'queue-rebate-edge/1.0',
      },
      signal: AbortSignal.timeout(timeoutMs() * 4),
    });
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    throw new PayCallError('unreachable', `download: ${(err as Error)?.name ?? err}`);
  }
  let code = '';
  if (!res.ok) {
    try {
      code = String(JSON.parse(new TextDecoder().decode(bytes)).code ?? '');
    } catch { /* no code */ }
  }
  return { status: res.status, bytes, code };
}

/** Lower-case hex SHA-1 of the bytes (the trade bill's hash_type SHA1). */
export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-1', bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Encrypts a sensitive field (user_name) with the WeChat Pay public key: RSA-OAEP with SHA-1,
 * base64. The request must then carry `Wechatpay-Serial: <that key's serial>`.
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


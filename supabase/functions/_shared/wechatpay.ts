// WeChat Pay API v3 cryptography with Web Crypto (WECHAT-NOTES.md §5): request signatures
// (WECHATPAY2-SHA256-RSA2048), verification of WeChat Pay's signatures on responses and
// notifications, AEAD_AES_256_GCM decryption of notification resources and the wx.requestPayment
// parameters. The calls themselves: wechatpay-client.ts; notifications: wechatpay-notify.ts.
import type { WechatPayConfig } from './config.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** SDKs refuse WeChat Pay signatures whose timestamp is further than this from now. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

// ------------------------------------------------------------------ encodings
export function base64Encode(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Strict base64 (standard alphabet, padding optional); throws on anything else. */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('invalid base64');
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random string of letters and digits (nonce_str, nonceStr: at most 32 characters). */
export function nonceStr(length = 32): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += ALNUM[b % 62]; // 256 % 62 bias is irrelevant for a nonce
  return out;
}

// ------------------------------------------------------------------ keys
/** The DER bytes of the first PEM block with one of the given labels. */
export function pemToDer(pem: string, labels: string[]): { label: string; der: Uint8Array<ArrayBuffer> } {
  const m = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem);
  if (!m || !labels.includes(m[1])) throw new Error(`expected a PEM ${labels.join(' or ')}`);
  return { label: m[1], der: base64Decode(m[2].replace(/\s+/g, '')) };
}

interface Tlv {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the content */
  content: number;
  /** offset just past the content */
  end: number;
}

function readTlv(der: Uint8Array, at: number, limit = der.length): Tlv {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = der[at];
  let len = der[at + 1];
  let content = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || content + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[content + i];
    content += n;
  }
  const end = content + len;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start: at, content, end };
}

/** The SubjectPublicKeyInfo of an X.509 certificate (a WeChat Pay platform certificate). */
export function spkiOfCertificate(cert: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const certificate = readTlv(cert, 0);
  const tbs = readTlv(cert, certificate.content, certificate.end);
  if (certificate.tag !== 0x30 || tbs.tag !== 0x30) throw new Error('not a certificate');
  let field = readTlv(cert, tbs.content, tbs.end);
  if (field.tag === 0xa0) field = readTlv(cert, field.end, tbs.end); // [0] version
  // serialNumber, signature, issuer, validity, subject, then subjectPublicKeyInfo
  for (let i = 0; i < 5; i++) field = readTlv(cert, field.end, tbs.end);
  if (field.tag !== 0x30) throw new Error('certificate without a public key');
  return cert.slice(field.start, field.end);
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const keyCache = new Map<string, Promise<CryptoKey>>();

function cached(id: string, make: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = keyCache.get(id);
  if (!key) {
    key = make();
    key.catch(() => keyCache.delete(id));
    keyCache.set(id, key);
  }
  return key;
}

/** The merchant API private key (apiclient_key.pem, PKCS#8) for RSA-SHA256 signatures. */
export function importMerchantKey(pem: string): Promise<CryptoKey> {
  return cached(`merchant:${pem}`, () => {
    const { der } = pemToDer(pem, ['PRIVATE KEY']);
    return crypto.subtle.importKey('pkcs8', der, RSA, false, ['sign']);
  });
}

/** A WeChat Pay public key (SPKI PEM, serial PUB_KEY_ID_…) or platform certificate (X.509 PEM). */
export function importPlatformKey(pem: string): Promise<CryptoKey> {
  return cached(`platform:${pem}`, () => {
    const { label, der } = pemToDer(pem, ['PUBLIC KEY', 'CERTIFICATE']);
    return crypto.subtle.importKey('spki', label === 'CERTIFICATE' ? spkiOfCertificate(der) : der, RSA, false, [
      'verify',
    ]);
  });
}

export async function rsaSign(key: CryptoKey, message: string): Promise<string> {
  return base64Encode(new Uint8Array(await crypto.subtle.sign(RSA, key, encoder.encode(message))));
}

// ------------------------------------------------------------------ our signatures
/** `Authorization` of a request: RSA-SHA256 over METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n. */
export async function authorization(
  cfg: Pick<WechatPayConfig, 'mchId' | 'merchantSerialNo' | 'merchantPrivateKey'>,
  method: string,
  pathAndQuery: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
  nonce = nonceStr(),
): Promise<string> {
  const message = `${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${body}\n`;
  const signature = await rsaSign(await importMerchantKey(cfg.merchantPrivateKey), message);
  return `WECHATPAY2-SHA256-RSA2048 mchid="${cfg.mchId}",nonce_str="${nonce}",signature="${signature}",` +
    `timestamp="${timestamp}",serial_no="${cfg.merchantSerialNo}"`;
}

/** What wx.requestPayment takes (JSAPI in a mini-program, RSA). */
export interface RequestPaymentParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** paySign = RSA-SHA256 over appId\ntimeStamp\nnonceStr\npackage\n (signType is not signed). */
export async function requestPaymentParams(
  cfg: Pick<WechatPayConfig, 'appId' | 'merchantPrivateKey'>,
  prepayId: string,
  timestamp = Math.floor(Date.now() / 1000),
  nonce = nonceStr(),
): Promise<RequestPaymentParams> {
  const pkg = `prepay_id=${prepayId}`;
  const timeStamp = String(timestamp);
  const paySign = await rsaSign(
    await importMerchantKey(cfg.merchantPrivateKey),
    `${cfg.appId}\n${timeStamp}\n${nonce}\n${pkg}\n`,
  );
  return { timeStamp, nonceStr: nonce, package: pkg, signType: 'RSA', paySign };
}

// ------------------------------------------------------------------ WeChat Pay's signatures
export type SignatureProblem = 'missing_headers' | 'stale_timestamp' | 'unknown_serial' | 'bad_signature';

/**
 * Checks `Wechatpay-Signature` over timestamp\nnonce\nbody\n with the WeChat Pay key named by
 * `Wechatpay-Serial`. Returns null when it holds, else what is wrong.
 */
export async function checkWechatpaySignature(
  cfg: Pick<WechatPayConfig, 'platformKeys'>,
  headers: Headers,
  body: Uint8Array,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<SignatureProblem | null> {
  const timestamp = headers.get('wechatpay-timestamp') ?? '';
  const nonce = headers.get('wechatpay-nonce') ?? '';
  const signature = headers.get('wechatpay-signature') ?? '';
  const serial = headers.get('wechatpay-serial') ?? '';
  if (!/^\d{1,12}$/.test(timestamp) || !nonce || !signature || !serial) return 'missing_headers';
  if (Math.abs(nowSeconds - Number(timestamp)) > MAX_CLOCK_SKEW_SECONDS) return 'stale_timestamp';
  const known = cfg.platformKeys.find((k) => k.serial === serial);
  if (!known) return 'unknown_serial';
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = base64Decode(signature);
  } catch {
    return 'bad_signature';
  }
  const message = concat(encoder.encode(`${timestamp}\n${nonce}\n`), body, encoder.encode('\n'));
  const ok = await crypto.subtle.verify(RSA, await importPlatformKey(known.pem), sig, message);
  return ok ? null : 'bad_signature';
}

// ------------------------------------------------------------------ notification resources
export interface EncryptedResource {
  algorithm?: unknown;
  ciphertext?: unknown;
  associated_data?: unknown;
  nonce?: unknown;
}

/** AEAD_AES_256_GCM with the APIv3 key; the tag is the last 16 bytes of the ciphertext. */
export async function decryptResource(apiV3Key: string, resource: EncryptedResource): Promise<string> {
  if (resource.algorithm !== 'AEAD_AES_256_GCM') throw new Error(`unsupported algorithm ${resource.algorithm}`);
  if (typeof resource.ciphertext !== 'string' || typeof resource.nonce !== 'string') throw new Error('bad resource');
  const ad = resource.associated_data ?? '';
  if (typeof ad !== 'string') throw new Error('bad associated_data');
  const keyBytes = encoder.encode(apiV3Key);
  if (keyBytes.length !== 32) throw new Error('the APIv3 key must be 32 bytes');
  const key = await crypto.subtle.importKey('raw', keyBytes, 'AES-GCM', false, ['decrypt']);
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: encoder.encode(resource.nonce), additionalData: encoder.encode(ad), tagLength: 128 },
    key,
    base64Decode(resource.ciphertext),
  );
  return decoder.decode(plain);
}

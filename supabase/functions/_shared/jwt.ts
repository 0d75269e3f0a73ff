// HS256 JSON Web Tokens with Web Crypto: the tokens PostgREST / Supabase accept.
import { timingSafeEqual } from 'node:crypto';

export interface JwtClaims {
  sub?: string;
  role?: string;
  aud?: string | string[];
  iat?: number;
  exp?: number;
  nbf?: number;
  [claim: string]: unknown;
}

export class JwtError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtError';
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Strict base64url (RFC 7515 §2): the URL-safe alphabet, no padding, and the canonical
 * encoding of its bytes (no unused bits set), checked by encoding the bytes again.
 */
function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length % 4 === 1) throw new JwtError('invalid base64url');
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    throw new JwtError('invalid base64url');
  }
  if (base64url(bytes) !== text) throw new JwtError('invalid base64url');
  return bytes;
}

function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  if (!secret) throw new JwtError('empty secret');
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

export async function signJwt(claims: JwtClaims, secret: string): Promise<string> {
  const header = base64url(encoder.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  const input = `${header}.${payload}`;
  const signature = await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

/**
 * Checks the signature (exactly the 32 HMAC bytes, in strict base64url, compared in constant
 * time), `alg`, `exp` (required) and `nbf`; returns the claims.
 */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<JwtClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [header, payload, signature] = parts;
  let head: { alg?: unknown };
  try {
    head = JSON.parse(decoder.decode(fromBase64url(header)));
  } catch {
    throw new JwtError('malformed token');
  }
  if (head?.alg !== 'HS256') throw new JwtError('unsupported alg');
  const expected = new Uint8Array(
    await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(`${header}.${payload}`)),
  );
  let given: Uint8Array;
  try {
    given = fromBase64url(signature);
  } catch {
    throw new JwtError('bad signature');
  }
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new JwtError('bad signature');
  let claims: JwtClaims;
  try {
    claims = JSON.parse(decoder.decode(fromBase64url(payload)));
  } catch {
    throw new JwtError('malformed token');
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw new JwtError('malformed token');
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new JwtError('token has no exp');
  if (nowSeconds >= claims.exp) throw new JwtError('token expired');
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) throw new JwtError('token not yet valid');
  return claims;
}

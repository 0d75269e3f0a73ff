// HS256 JSON Web Tokens with Web Crypto: the tokens PostgREST / Supabase accept.

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

function fromBase64url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new JwtError('invalid base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
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

/** Checks the signature, `alg`, `exp` and `nbf`; returns the claims. */
export async function verifyJwt(
  token: string,
  secret: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): Promise<JwtClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtError('malformed token');
  const [header, payload, signature] = parts;
  let head: { alg?: unknown };
  let claims: JwtClaims;
  try {
    head = JSON.parse(decoder.decode(fromBase64url(header)));
    claims = JSON.parse(decoder.decode(fromBase64url(payload)));
  } catch {
    throw new JwtError('malformed token');
  }
  if (head.alg !== 'HS256') throw new JwtError('unsupported alg');
  const ok = await crypto.subtle.verify(
    'HMAC',
    await hmacKey(secret, 'verify'),
    fromBase64url(signature),
    encoder.encode(`${header}.${payload}`),
  );
  if (!ok) throw new JwtError('bad signature');
  if (typeof claims !== 'object' || claims === null) throw new JwtError('malformed token');
  if (typeof claims.exp === 'number' && nowSeconds >= claims.exp) throw new JwtError('token expired');
  if (typeof claims.nbf === 'number' && nowSeconds < claims.nbf) throw new JwtError('token not yet valid');
  return claims;
}

// supabase/functions/_shared/wechatpay.ts (Web Crypto, run by real Deno) against node:crypto:
// request signatures and paySign verify with the merchant public key, WeChat Pay's signatures
// (public key or platform certificate) verify and are refused when anything is off, and
// AEAD_AES_256_GCM resources encrypted as WeChat does decrypt.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import env from '../../supabase/local/env.cjs';

const { ROOT } = env;
const DENO = path.join(ROOT, 'node_modules', '.bin', 'deno');
const MODULE = path.join(ROOT, 'supabase', 'functions', '_shared', 'wechatpay.ts');
const CONFIG_MODULE = path.join(ROOT, 'supabase', 'functions', '_shared', 'config.ts');

// Runs `body` (the inside of an async function receiving `input` and the module as `pay`,
// `config`) in Deno and returns what it returns, through JSON.
function inDeno<T>(body: string, input: unknown, denoEnv: Record<string, string> = {}): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechatpay-crypto-'));
  const script = path.join(dir, 'run.ts');
  fs.writeFileSync(script, `
import * as pay from ${JSON.stringify(`file://${MODULE}`)};
import * as config from ${JSON.stringify(`file://${CONFIG_MODULE}`)};
const input = JSON.parse(await new Response(Deno.stdin.readable).text());
const run = async (input: any) => { ${body} };
console.log(JSON.stringify(await run(input)));
`);
  try {
    const r = spawnSync(DENO, ['run', '--allow-env', '--allow-read', '--no-prompt', '--config',
      path.join(ROOT, 'supabase', 'functions', 'deno.json'), script], {
      input: JSON.stringify(input), encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...denoEnv },
    });
    if (r.status !== 0) throw new Error(`deno failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ keys and a certificate
const merchant = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const platform = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const pkcs8 = (k: crypto.KeyObject) => k.export({ type: 'pkcs8', format: 'pem' }).toString();
const spki = (k: crypto.KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();

/** A self-signed X.509 certificate for `keys`, built with DER by hand (node:crypto cannot issue one). */
function certificatePem(keys: crypto.KeyPairKeyObjectResult): string {
  const len = (n: number) => (n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]));
  const tlv = (tag: number, ...parts: Buffer[]) => {
    const c = Buffer.concat(parts);
    return Buffer.concat([Buffer.from([tag]), len(c.length), c]);
  };
  const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
  const sha256WithRsa = seq(Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.from('0500', 'hex'));
  const name = seq(tlv(0x31, seq(Buffer.from('0603550403', 'hex'), tlv(0x0c, Buffer.from('Tenpay.com Root CA')))));
  const utc = (d: Date) => tlv(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/\D/g, '')}Z`));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, Buffer.from('1a2b3c4d5e6f', 'hex')),
    sha256WithRsa,
    name,
    seq(utc(new Date(Date.now() - 86400_000)), utc(new Date(Date.now() + 86400_000))),
    name,
    keys.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = crypto.sign('sha256', tbs, keys.privateKey);
  const der = seq(tbs, sha256WithRsa, tlv(0x03, Buffer.from([0]), signature));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

const platformCert = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const certPem = certificatePem(platformCert);

test('the hand-built certificate is a real one (node reads it back)', () => {
  const cert = new crypto.X509Certificate(certPem);
  expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(spki(platformCert.publicKey));
  expect(cert.verify(platformCert.publicKey)).toBe(true);
});

// ------------------------------------------------------------------ our signatures
test('Authorization and paySign made by Deno verify with the merchant public key in node', () => {
  const body = JSON.stringify({ appid: 'wx1', description: '明前龙井 250g', amount: { total: 16800 } });
  const out = inDeno<{ auth: string; again: string; params: Record<string, string> }>(`
    const cfg = { mchId: '1900000001', merchantSerialNo: 'ABC123', merchantPrivateKey: input.key, appId: 'wxappid0001' };
    return {
      auth: await pay.authorization(cfg, 'POST', '/v3/pay/transactions/jsapi', input.body, 1700000000, 'NONCE123'),
      again: await pay.authorization(cfg, 'GET', '/v3/pay/transactions/out-trade-no/X1?mchid=1900000001', ''),
      params: await pay.requestPaymentParams(cfg, 'wx20261125prepay', 1700000001, 'n0nce'),
    };`, { key: pkcs8(merchant.privateKey), body });

  const m = /^WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="NONCE123",signature="([A-Za-z0-9+/=]+)",timestamp="1700000000",serial_no="ABC123"$/.exec(out.auth);
  expect(m).not.toBeNull();
  const message = `POST\n/v3/pay/transactions/jsapi\n1700000000\nNONCE123\n${body}\n`;
  expect(crypto.verify('sha256', Buffer.from(message), merchant.publicKey, Buffer.from(m![1], 'base64'))).toBe(true);
  expect(crypto.verify('sha256', Buffer.from(message.replace('16800', '16801')), merchant.publicKey, Buffer.from(m![1], 'base64'))).toBe(false);
  expect(crypto.verify('sha256', Buffer.from(message), other.publicKey, Buffer.from(m![1], 'base64'))).toBe(false);

  // a GET signs an empty body; nonce and timestamp are fresh
  const g = Object.fromEntries([...out.again.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
  expect(g.nonce_str).toMatch(/^[A-Za-z0-9]{32}$/);
  expect(Math.abs(Number(g.timestamp) - Date.now() / 1000)).toBeLessThan(60);
  expect(crypto.verify('sha256',
    Buffer.from(`GET\n/v3/pay/transactions/out-trade-no/X1?mchid=1900000001\n${g.timestamp}\n${g.nonce_str}\n\n`),
    merchant.publicKey, Buffer.from(g.signature, 'base64'))).toBe(true);

  expect(out.params).toEqual({
    timeStamp: '1700000001', nonceStr: 'n0nce', package: 'prepay_id=wx20261125prepay', signType: 'RSA', paySign: expect.any(String),
  });
  expect(crypto.verify('sha256', Buffer.from('wxappid0001\n1700000001\nn0nce\nprepay_id=wx20261125prepay\n'),
    merchant.publicKey, Buffer.from(out.params.paySign, 'base64'))).toBe(true);
});

// ------------------------------------------------------------------ WeChat Pay's signatures
function wechatpayHeaders(body: Buffer, { key = platform.privateKey, serial = 'PUB_KEY_ID_0114', timestamp = Math.floor(Date.now() / 1000), nonce = 'abcDEF123' } = {}) {
  const sig = crypto.sign('sha256', Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`), body, Buffer.from('\n')]), key);
  return { 'wechatpay-timestamp': String(timestamp), 'wechatpay-nonce': nonce, 'wechatpay-signature': sig.toString('base64'), 'wechatpay-serial': serial };
}

test('WeChat Pay signatures: public key or certificate chosen by serial; every forgery refused', () => {
  const body = Buffer.from(JSON.stringify({ id: 'EV-1', summary: '支付成功', event_type: 'TRANSACTION.SUCCESS' }));
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, Record<string, string>, Buffer]> = [
    ['public key', wechatpayHeaders(body), body],
    ['certificate', wechatpayHeaders(body, { key: platformCert.privateKey, serial: '5157F09EFDC096DE15EBE81A47057A72' }), body],
    ['290 s old', wechatpayHeaders(body, { timestamp: now - 290 }), body],
    ['tampered body', wechatpayHeaders(body), Buffer.from(body.toString().replace('EV-1', 'EV-2'))],
    ['another key', wechatpayHeaders(body, { key: other.privateKey }), body],
    ['certificate key under the public key serial', wechatpayHeaders(body, { key: platformCert.privateKey }), body],
    ['unknown serial', wechatpayHeaders(body, { serial: 'PUB_KEY_ID_OTHER' }), body],
    ['stale timestamp', wechatpayHeaders(body, { timestamp: now - 310 }), body],
    ['future timestamp', wechatpayHeaders(body, { timestamp: now + 310 }), body],
    ['no signature', { ...wechatpayHeaders(body), 'wechatpay-signature': '' }, body],
    ['signature not base64', { ...wechatpayHeaders(body), 'wechatpay-signature': 'not base64!' }, body],
  ];
  const out = inDeno<Array<string | null>>(`
    const cfg = { platformKeys: [
      { serial: 'PUB_KEY_ID_0114', pem: input.publicKey },
      { serial: '5157F09EFDC096DE15EBE81A47057A72', pem: input.cert },
    ] };
    const results = [];
    for (const [headers, body] of input.cases) {
      results.push(await pay.checkWechatpaySignature(cfg, new Headers(headers), Uint8Array.from(atob(body), (c) => c.charCodeAt(0))));
    }
    return results;`, {
    publicKey: spki(platform.publicKey), cert: certPem,
    cases: cases.map(([, h, b]) => [h, b.toString('base64')]),
  });
  expect(Object.fromEntries(cases.map(([name], i) => [name, out[i]]))).toEqual({
    'public key': null,
    certificate: null,
    '290 s old': null,
    'tampered body': 'bad_signature',
    'another key': 'bad_signature',
    'certificate key under the public key serial': 'bad_signature',
    'unknown serial': 'unknown_serial',
    'stale timestamp': 'stale_timestamp',
    'future timestamp': 'stale_timestamp',
    'no signature': 'missing_headers',
    'signature not base64': 'bad_signature',
  });
});

// ------------------------------------------------------------------ resources
function encrypt(plain: string, key: string, associatedData: string, nonce = 'n0nce0n0nce0') {
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(key), Buffer.from(nonce));
  cipher.setAAD(Buffer.from(associatedData));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('base64');
  return { algorithm: 'AEAD_AES_256_GCM', ciphertext, associated_data: associatedData, nonce };
}

test('AEAD_AES_256_GCM resources decrypt; a wrong key, AAD, nonce or tag is refused', () => {
  const key = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  const plain = JSON.stringify({ out_trade_no: '202611250000000001', attach: '明前龙井', amount: { total: 16800 } });
  const good = encrypt(plain, key, 'transaction');
  const tagCut = { ...good, ciphertext: Buffer.from(good.ciphertext, 'base64').subarray(0, -1).toString('base64') };
  const flipped = Buffer.from(good.ciphertext, 'base64');
  flipped[3] ^= 1;
  const cases = {
    good,
    'empty associated data': encrypt(plain, key, ''),
    'missing associated data': (({ associated_data: _, ...r }) => r)(encrypt(plain, key, '')),
    'wrong key': encrypt(plain, 'ZYXWVUTSRQPONMLKJIHGFEDCBA543210', 'transaction'),
    'wrong associated data': { ...good, associated_data: 'refund' },
    'wrong nonce': { ...good, nonce: 'n0nce0n0nce1' },
    'tag cut short': tagCut,
    'ciphertext flipped': { ...good, ciphertext: flipped.toString('base64') },
    'other algorithm': { ...good, algorithm: 'AEAD_AES_128_GCM' },
  };
  const out = inDeno<Record<string, { ok?: string; error?: string }>>(`
    const results: Record<string, unknown> = {};
    for (const [name, resource] of Object.entries(input.cases)) {
      try { results[name] = { ok: await pay.decryptResource(input.key, resource as any) }; }
      catch (e) { results[name] = { error: String(e) }; }
    }
    return results;`, { key, cases });
  expect(out.good).toEqual({ ok: plain });
  expect(out['empty associated data']).toEqual({ ok: plain });
  expect(out['missing associated data']).toEqual({ ok: plain });
  for (const name of ['wrong key', 'wrong associated data', 'wrong nonce', 'tag cut short', 'ciphertext flipped', 'other algorithm']) {
    expect([name, out[name].ok]).toEqual([name, undefined]);
    expect(out[name].error).toEqual(expect.any(String));
  }
});

test('the configuration reads PEMs written with \\n escapes and lists what is missing', () => {
  const escaped = pkcs8(merchant.privateKey).replace(/\n/g, '\\n');
  const out = inDeno<{ missing: string[]; unset: string[]; keys: number; sig: string; ttl: number }>(`
    const { config: cfg, missing } = config.readWechatPayConfig();
    const sig = (await pay.requestPaymentParams(cfg, 'wxP', 1, 'n')).paySign;
    for (const k of Object.keys(Deno.env.toObject())) if (/^WECHAT/.test(k)) Deno.env.delete(k);
    return { missing, unset: config.readWechatPayConfig().missing, keys: cfg.platformKeys.length, sig, ttl: cfg.orderTtlSeconds };
  `, {}, {
    WECHAT_APPID: 'wxappid0001', WECHATPAY_MCHID: '1900000001', WECHATPAY_SERIAL_NO: 'ABC', WECHATPAY_PRIVATE_KEY: escaped,
    WECHATPAY_API_V3_KEY: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345', WECHATPAY_PLATFORM_SERIAL: 'PUB_KEY_ID_1',
    WECHATPAY_PLATFORM_PUBLIC_KEY: spki(platform.publicKey).replace(/\n/g, '\\n'),
    WECHATPAY_PLATFORM_CERT_SERIAL: '5157F0', WECHATPAY_PLATFORM_CERT: certPem,
    WECHATPAY_NOTIFY_URL: 'https://example.com/functions/v1/pay-notify', WECHATPAY_ORDER_TTL_SECONDS: '900',
  });
  expect(out.missing).toEqual([]);
  expect(out.keys).toBe(2);
  expect(out.ttl).toBe(900);
  expect(crypto.verify('sha256', Buffer.from('wxappid0001\n1\nn\nprepay_id=wxP\n'), merchant.publicKey, Buffer.from(out.sig, 'base64'))).toBe(true);
  expect(out.unset).toEqual([
    'WECHAT_APPID', 'WECHATPAY_MCHID', 'WECHATPAY_SERIAL_NO', 'WECHATPAY_PRIVATE_KEY', 'WECHATPAY_API_V3_KEY',
    'WECHATPAY_PLATFORM_SERIAL + WECHATPAY_PLATFORM_PUBLIC_KEY', 'WECHATPAY_NOTIFY_URL',
  ]);
});

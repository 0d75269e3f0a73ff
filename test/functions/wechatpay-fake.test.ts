// The fake WeChat Pay itself (WECHAT-NOTES.md §5, §7): it refuses what WeChat Pay refuses, signs
// what it answers, and its notifications are encrypted, signed and retried as WeChat's are.
// Requests are signed here with node:crypto, independently of the functions' Web Crypto code.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';

const APPID = 'wxpayfake00000001';
let fake: WechatFake;
let merchantKey: crypto.KeyObject;
let platformKey: crypto.KeyObject;

// one fake (RSA key generation is slow); each test uses its own out_trade_no
beforeAll(async () => {
  fake = await startWechatFake({ appid: APPID, secret: 's', pay: { notifyRetryDelaysMs: [30, 30] } });
  merchantKey = crypto.createPrivateKey(fake.pay.merchantPrivateKeyPem!);
  platformKey = crypto.createPublicKey(fake.pay.platformPublicKeyPem);
});
afterAll(() => fake.stop());

let tradeCounter = 0;
const tradeNo = () => `T${Date.now()}${String(++tradeCounter).padStart(4, '0')}`;

interface SignOptions { key?: crypto.KeyObject; mchid?: string; serial?: string; timestamp?: number; signedBody?: string; signedPath?: string }

async function payRequest(method: string, pathAndQuery: string, body?: unknown, o: SignOptions = {}) {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const nonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256',
    Buffer.from(`${method}\n${o.signedPath ?? pathAndQuery}\n${ts}\n${nonce}\n${o.signedBody ?? text}\n`),
    o.key ?? merchantKey).toString('base64');
  const res = await fetch(`${fake.url}${pathAndQuery}`, {
    method,
    headers: {
      Authorization: `WECHATPAY2-SHA256-RSA2048 mchid="${o.mchid ?? fake.pay.mchid}",nonce_str="${nonce}",signature="${signature}",timestamp="${ts}",serial_no="${o.serial ?? fake.pay.merchantSerialNo}"`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: method === 'GET' ? undefined : text,
  });
  const raw = await res.text();
  return { status: res.status, headers: res.headers, raw, json: raw ? JSON.parse(raw) : null };
}

function verifiedByPlatform(headers: Headers, raw: string): boolean {
  const message = `${headers.get('wechatpay-timestamp')}\n${headers.get('wechatpay-nonce')}\n${raw}\n`;
  return headers.get('wechatpay-serial') === 'PUB_KEY_ID_FAKE' &&
    crypto.verify('sha256', Buffer.from(message), platformKey, Buffer.from(headers.get('wechatpay-signature') ?? '', 'base64'));
}

function order(overrides: Record<string, unknown> = {}) {
  return {
    appid: APPID, mchid: fake.pay.mchid, description: '明前龙井 250g', out_trade_no: tradeNo(),
    time_expire: new Date(Date.now() + 30 * 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    notify_url: 'https://example.com/functions/v1/pay-notify', amount: { total: 16800, currency: 'CNY' },
    payer: { openid: 'oPayer0001' }, ...overrides,
  };
}
const jsapi = (body: unknown, o?: SignOptions) => payRequest('POST', '/v3/pay/transactions/jsapi', body, o);

/** A local merchant endpoint that answers notifications with the given statuses in turn. */
async function receiver(statuses: number[] = [204]) {
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    const status = statuses[Math.min(received.length - 1, statuses.length - 1)];
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(status === 200 || status === 204 ? undefined : JSON.stringify({ code: 'FAIL', message: '失败' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/functions/v1/pay-notify`,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function decrypt(resource: { ciphertext: string; nonce: string; associated_data: string }) {
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', Buffer.from(fake.pay.apiV3Key), Buffer.from(resource.nonce));
  decipher.setAAD(Buffer.from(resource.associated_data));
  decipher.setAuthTag(data.subarray(-16));
  return JSON.parse(Buffer.concat([decipher.update(data.subarray(0, -16)), decipher.final()]).toString('utf8'));
}

describe('request signatures', () => {
  test('a correctly signed prepay gets a prepay_id, in an answer signed with the WeChat Pay key', async () => {
    const res = await jsapi(order());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ prepay_id: expect.stringMatching(/^wx\d{14}[0-9a-f]{20}$/) });
    expect(verifiedByPlatform(res.headers, res.raw)).toBe(true);
    expect(verifiedByPlatform(res.headers, res.raw.replace('wx', 'wy'))).toBe(false);
  });

  test.each<[string, (body: string) => SignOptions]>([
    ['another private key', () => ({ key: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey })],
    ['a body changed after signing', (body) => ({ signedBody: body.replace('16800', '1') })],
    ['another path signed', () => ({ signedPath: '/v3/pay/transactions/native' })],
    ['another certificate serial', () => ({ serial: 'ABCDEF' })],
    ['another merchant', () => ({ mchid: '1900000002' })],
    ['a timestamp 6 minutes old', () => ({ timestamp: Math.floor(Date.now() / 1000) - 360 })],
  ])('%s: 401 SIGN_ERROR, nothing created', async (_name, options) => {
    const body = order();
    const res = await jsapi(body, options(JSON.stringify(body)));
    expect(res.status).toBe(401);
    expect(res.json).toEqual({ code: 'SIGN_ERROR', message: expect.any(String) });
    expect(verifiedByPlatform(res.headers, res.raw)).toBe(true);
    expect(fake.pay.trade(body.out_trade_no)).toBeUndefined();
  });

  test('no Authorization at all: 401 SIGN_ERROR', async () => {
    const res = await fetch(`${fake.url}/v3/pay/transactions/jsapi`, { method: 'POST', body: JSON.stringify(order()) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'SIGN_ERROR' });
  });
});

describe('JSAPI prepay fields', () => {
  const bad: Array<[string, Record<string, unknown>, number, string]> = [
    ['description of 128 characters', { description: '茶'.repeat(128) }, 400, 'PARAM_ERROR'],
    ['no description', { description: undefined }, 400, 'PARAM_ERROR'],
    ['out_trade_no of 5 characters', { out_trade_no: 'A1234' }, 400, 'PARAM_ERROR'],
    ['out_trade_no of 33 characters', { out_trade_no: 'A'.repeat(33) }, 400, 'PARAM_ERROR'],
    ['out_trade_no with #', { out_trade_no: 'ORDER#0001' }, 400, 'PARAM_ERROR'],
    ['amount 0', { amount: { total: 0, currency: 'CNY' } }, 400, 'PARAM_ERROR'],
    ['amount 1.5 fen', { amount: { total: 1.5 } }, 400, 'PARAM_ERROR'],
    ['amount as text', { amount: { total: '100' } }, 400, 'PARAM_ERROR'],
    ['currency USD', { amount: { total: 100, currency: 'USD' } }, 400, 'PARAM_ERROR'],
    ['no payer', { payer: undefined }, 400, 'PARAM_ERROR'],
    ['notify_url over http elsewhere', { notify_url: 'http://example.com/notify' }, 400, 'PARAM_ERROR'],
    ['notify_url with a query', { notify_url: 'https://example.com/notify?order=1' }, 400, 'PARAM_ERROR'],
    ['notify_url of 256 characters', { notify_url: `https://example.com/${'n'.repeat(236)}` }, 400, 'PARAM_ERROR'],
    ['time_expire in 30 seconds', { time_expire: new Date(Date.now() + 30_000).toISOString() }, 400, 'PARAM_ERROR'],
    ['time_expire in 91 days', { time_expire: new Date(Date.now() + 91 * 86400_000).toISOString() }, 400, 'PARAM_ERROR'],
    ['time_expire not RFC 3339', { time_expire: '2026-11-25 10:00:00' }, 400, 'PARAM_ERROR'],
    ['attach of 129 characters', { attach: 'a'.repeat(129) }, 400, 'PARAM_ERROR'],
    ['another appid', { appid: 'wxsomeoneelse0001' }, 400, 'APPID_MCHID_NOT_MATCH'],
    ['a body mchid unlike the signer', { mchid: '1900000009' }, 400, 'INVALID_REQUEST'],
  ];
  test.each(bad)('%s', async (_name, overrides, status, code) => {
    const body = order(overrides);
    const res = await jsapi(body);
    expect([res.status, res.json.code]).toEqual([status, code]);
    expect(fake.pay.trade(body.out_trade_no as string)).toBeUndefined();
  });

  test('limits that are allowed: 127 characters, 6 and 32 character numbers, http on this machine, +08:00', async () => {
    for (const overrides of [
      { description: '茶'.repeat(127) },
      { out_trade_no: `_-|*${crypto.randomBytes(1).toString('hex')}` },
      { out_trade_no: `${tradeNo()}`.padEnd(32, 'x') },
      { notify_url: 'http://127.0.0.1:54321/functions/v1/pay-notify' },
      { time_expire: `${new Date(Date.now() + 8 * 3600_000 + 600_000).toISOString().slice(0, 19)}+08:00` },
      { time_expire: undefined },
    ]) {
      const res = await jsapi(order(overrides));
      expect([overrides, res.status]).toEqual([overrides, 200]);
    }
  });

  test('the same order again gets the same prepay_id; changed parameters are refused', async () => {
    const body = order();
    const first = await jsapi(body);
    const again = await jsapi(body);
    expect(again.json.prepay_id).toBe(first.json.prepay_id);
    const changed = await jsapi({ ...body, amount: { total: 1, currency: 'CNY' } });
    expect([changed.status, changed.json.code]).toEqual([403, 'OUT_TRADE_NO_USED']);
    expect(fake.pay.trade(body.out_trade_no)).toMatchObject({ trade_state: 'NOTPAY', amount: { total: 16800 } });
  });

  test('an injected failure is answered once', async () => {
    fake.pay.failNext('POST /v3/pay/transactions/jsapi', 500, 'SYSTEM_ERROR', '系统繁忙');
    const body = order();
    expect((await jsapi(body)).status).toBe(500);
    expect((await jsapi(body)).status).toBe(200);
  });
});

describe('query, close, time_expire', () => {
  test('query shows NOTPAY, close makes it CLOSED and refuses a new prepay', async () => {
    const body = order();
    await jsapi(body);
    const path = `/v3/pay/transactions/out-trade-no/${body.out_trade_no}`;
    const q = await payRequest('GET', `${path}?mchid=${fake.pay.mchid}`);
    expect(q.status).toBe(200);
    expect(q.json).toMatchObject({ out_trade_no: body.out_trade_no, trade_state: 'NOTPAY', amount: { total: 16800 } });
    expect(verifiedByPlatform(q.headers, q.raw)).toBe(true);
    expect((await payRequest('GET', `/v3/pay/transactions/out-trade-no/NOSUCH0001?mchid=${fake.pay.mchid}`)).status).toBe(404);

    const closed = await payRequest('POST', `${path}/close`, { mchid: fake.pay.mchid });
    expect([closed.status, closed.raw]).toEqual([204, '']);
    expect(verifiedByPlatform(closed.headers, '')).toBe(true);
    expect((await jsapi(body)).json.code).toBe('ORDER_CLOSED');
    await expect(fake.payOrder(body.out_trade_no)).rejects.toThrow('CLOSED');
  });

  test('a trade past its time_expire is closed', async () => {
    const f = await startWechatFake({ appid: APPID, secret: 's', pay: { merchantPublicKey: fake.pay.merchantPublicKeyPem, mchid: fake.pay.mchid, merchantSerialNo: fake.pay.merchantSerialNo } });
    try {
      expect(f.pay.merchantPrivateKeyPem).toBeNull();
      const body = order({ time_expire: new Date(Date.now() + 120_000).toISOString() });
      const res = await fetch(`${f.url}/v3/pay/transactions/jsapi`, {
        method: 'POST',
        headers: { Authorization: (await signedAuth('POST', '/v3/pay/transactions/jsapi', JSON.stringify(body))) },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      f.advanceTime(121_000);
      expect(f.pay.trade(body.out_trade_no)?.trade_state).toBe('CLOSED');
      await expect(f.payOrder(body.out_trade_no)).rejects.toThrow('CLOSED');
    } finally {
      await f.stop();
    }
  });
});

async function signedAuth(method: string, path: string, body: string) {
  const ts = Math.floor(Date.now() / 1000);
  const sig = crypto.sign('sha256', Buffer.from(`${method}\n${path}\n${ts}\nn1\n${body}\n`), merchantKey).toString('base64');
  return `WECHATPAY2-SHA256-RSA2048 mchid="${fake.pay.mchid}",nonce_str="n1",signature="${sig}",timestamp="${ts}",serial_no="${fake.pay.merchantSerialNo}"`;
}

describe('notifications', () => {
  test('payOrder: TRANSACTION.SUCCESS, signed with the WeChat Pay key, resource encrypted with the APIv3 key', async () => {
    const r = await receiver([204]);
    try {
      const body = order({ notify_url: r.url, attach: '附加' });
      await jsapi(body);
      const sent = await fake.payOrder(body.out_trade_no);
      expect(await sent.delivered).toBe(true);
      expect(sent.attempts.map((a) => a.status)).toEqual([204]);
      expect(r.received).toHaveLength(1);
      const { headers, body: raw } = r.received[0];
      expect(raw).toBe(sent.body);
      expect(verifiedByPlatform(new Headers(headers as Record<string, string>), raw)).toBe(true);
      const note = JSON.parse(raw);
      expect(note).toEqual({
        id: expect.any(String), create_time: expect.stringMatching(/\+08:00$/), resource_type: 'encrypt-resource',
        event_type: 'TRANSACTION.SUCCESS', summary: '支付成功',
        resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: expect.any(String), associated_data: 'transaction', nonce: expect.stringMatching(/^[A-Za-z0-9]{12}$/) },
      });
      const t = decrypt(note.resource);
      expect(t).toEqual({
        appid: APPID, mchid: fake.pay.mchid, out_trade_no: body.out_trade_no, transaction_id: expect.stringMatching(/^4200\d{24}$/),
        trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '附加',
        success_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/), payer: { openid: 'oPayer0001' },
        amount: { total: 16800, payer_total: 16800, currency: 'CNY', payer_currency: 'CNY' },
      });
      expect(t).toEqual(sent.resource);
      expect((await jsapi(body)).json.code).toBe('ORDERPAID');
      await expect(fake.payOrder(body.out_trade_no)).rejects.toThrow('SUCCESS');
    } finally {
      await r.close();
    }
  });

  test('retried until the merchant answers 200 or 204 (compressed schedule), then stops', async () => {
    const r = await receiver([500, 401, 200]);
    try {
      const body = order({ notify_url: r.url });
      await jsapi(body);
      const sent = await fake.payOrder(body.out_trade_no);
      expect(await sent.delivered).toBe(true);
      expect(sent.attempts.map((a) => a.status)).toEqual([500, 401, 200]);
      // every attempt carries a fresh, valid signature over the same body
      expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
      for (const x of r.received) expect(verifiedByPlatform(new Headers(x.headers as Record<string, string>), x.body)).toBe(true);
    } finally {
      await r.close();
    }
  });

  test('gives up when the retries run out', async () => {
    const r = await receiver([500]);
    try {
      const body = order({ notify_url: r.url });
      await jsapi(body);
      const sent = await fake.payOrder(body.out_trade_no);
      expect(await sent.delivered).toBe(false);
      expect(sent.attempts).toHaveLength(3); // the first try and the two retries of this fake
    } finally {
      await r.close();
    }
  });

  test('refund: REFUND.SUCCESS with refund_id and amounts; no more than was paid', async () => {
    const r = await receiver([204]);
    try {
      const body = order({ notify_url: r.url });
      await jsapi(body);
      const paid = await fake.payOrder(body.out_trade_no);
      const sent = await fake.refund(body.out_trade_no, { refund: 6800, outRefundNo: 'RF-0001' });
      expect(sent.attempts[0].status).toBe(204);
      const note = JSON.parse(r.received[1].body);
      expect(note).toMatchObject({ event_type: 'REFUND.SUCCESS', summary: '退款成功', resource: { original_type: 'refund', associated_data: '' } });
      expect(decrypt(note.resource)).toEqual({
        mchid: fake.pay.mchid, out_trade_no: body.out_trade_no, transaction_id: paid.resource.transaction_id,
        out_refund_no: 'RF-0001', refund_id: expect.stringMatching(/^50\d{27}$/), refund_status: 'SUCCESS',
        success_time: expect.stringMatching(/\+08:00$/), user_received_account: '支付用户零钱',
        amount: { total: 16800, refund: 6800, payer_total: 16800, payer_refund: 6800 },
      });
      await expect(fake.refund(body.out_trade_no, { refund: 10001 })).rejects.toThrow('cannot refund');
      await fake.refund(body.out_trade_no);
      expect(fake.pay.trade(body.out_trade_no)).toMatchObject({ trade_state: 'REFUND', refunds: [{ amount: 6800 }, { amount: 10000 }] });
    } finally {
      await r.close();
    }
  });

  test('POST /__fake__/pay and /__fake__/refund do the same over HTTP', async () => {
    const r = await receiver([204]);
    try {
      const body = order({ notify_url: r.url });
      await jsapi(body);
      const post = async (path: string, b: unknown) => (await fetch(`${fake.url}${path}`, { method: 'POST', body: JSON.stringify(b) })).json();
      expect(await post('/__fake__/pay', { out_trade_no: body.out_trade_no })).toEqual({ transaction_id: expect.stringMatching(/^4200/), status: 204 });
      expect(await post('/__fake__/pay', { out_trade_no: body.out_trade_no })).toMatchObject({ errcode: 40097 });
      expect(await post('/__fake__/refund', { out_trade_no: body.out_trade_no })).toEqual({ refund_id: expect.stringMatching(/^50/), status: 204 });
    } finally {
      await r.close();
    }
  });
});

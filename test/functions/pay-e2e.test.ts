// WeChat Pay end to end: member (wechat-login token) → pay-order (real Deno) → fake WeChat Pay
// prepay → wx.requestPayment parameters; the fake's notification → gateway → pay-notify →
// mark_order_paid / refund_order in the real database. Forged, stale and wrong notifications
// change nothing.
import crypto from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e00000000pay';
const SECRET = 'e2e-wechat-secret';

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost; // configured, behind the gateway
let unconfigured: FunctionsHost; // no WeChat Pay settings
let wrongMerchantKey: FunctionsHost; // signs with a key WeChat Pay does not know
let wrongPlatformKey: FunctionsHost; // cannot verify WeChat Pay's answers
let notifyUrl: string;
let productId: number;
let alice: string; // tokens
let bob: string;

const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  fake = await startWechatFake({ appid: APPID, secret: SECRET, pay: { notifyRetryDelaysMs: [100, 100] } });
  const port = await freePort();
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  notifyUrl = `${gw.url}/functions/v1/pay-notify`;
  const base = {
    SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET,
    WECHAT_API_BASE: fake.url, WECHAT_APPID: APPID, WECHAT_SECRET: SECRET, REBATE_LOCAL_DEV: undefined,
  };
  const pay = fake.pay.env(notifyUrl);
  const hosts = await Promise.all([
    startFunctions({ port, quiet: true, env: { ...base, ...pay } }),
    startFunctions({ port: await freePort(), quiet: true, env: base }),
    startFunctions({
      port: await freePort(), quiet: true,
      env: { ...base, ...pay, WECHATPAY_PRIVATE_KEY: otherKey.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    }),
    startFunctions({
      port: await freePort(), quiet: true,
      env: { ...base, ...pay, WECHATPAY_PLATFORM_PUBLIC_KEY: otherKey.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
    }),
  ]);
  [fns, unconfigured, wrongMerchantKey, wrongPlatformKey] = hosts;

  await db.query(`update rebate.settings set enabled = true, merchant_queue = true, default_reward_bps = 10000,
                  extraction_bps = 1000 where id = 1`);
  [{ id: productId }] = await db.query(`insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, listed)
                                        values ('PAY-TEA', 'self', '明前龙井 250g', 16800, true, true) returning id::int`);
  alice = await login('oAlice_pay_0001');
  bob = await login('oBob_pay_0001');
}, 90_000);

afterAll(async () => {
  await Promise.all([fns?.stop(), unconfigured?.stop(), wrongMerchantKey?.stop(), wrongPlatformKey?.stop()]);
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

// ------------------------------------------------------------------ helpers
async function login(openid: string): Promise<string> {
  const res = await fetch(`${gw.url}/functions/v1/wechat-login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${ANON_KEY}` },
    body: JSON.stringify({ code: fake.issueCode(openid) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).access_token;
}

function client(token: string) {
  return createClient(gw.url, ANON_KEY, {
    accessToken: async () => token,
    realtime: { transport: class { constructor() { throw new Error('no realtime'); } } as any },
  });
}

interface Order { order_id: number; order_no: string; pay_fen: number; status: string; [k: string]: unknown }

async function newOrder(token: string, quantity = 1): Promise<Order> {
  const { data, error } = await client(token).rpc('create_order', {
    p_order: { channel: 'mall', lines: [{ product_id: productId, quantity }] },
  });
  expect(error).toBeNull();
  return data as Order;
}

async function myOrder(token: string, orderId: number): Promise<Order> {
  const { data, error } = await client(token).rpc('my_order', { p_order_id: orderId });
  expect(error).toBeNull();
  return data as Order;
}

async function payOrder(token: string, body: unknown, url = `${gw.url}/functions/v1/pay-order`) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

/** Everything a payment or refund could change, as text. */
async function state(): Promise<string> {
  const tables = ['orders', 'order_lines', 'entries', 'distributions', 'retentions', 'refunds', 'wallets', 'ledger', 'messages'];
  const parts: string[] = [];
  for (const t of tables) {
    const [row] = await db.query(`select coalesce(jsonb_agg(to_jsonb(x) order by to_jsonb(x)::text), '[]')::text as j from rebate.${t} x`);
    parts.push(`${t}: ${row.j}`);
  }
  return parts.join('\n');
}

const orderRow = async (orderNo: string) =>
  (await db.query(`select status, payment_ref, pay_fen::int, refunded_fen::int from rebate.orders where order_no = $1`, [orderNo]))[0];

/** A pending order of alice's with a prepay at the fake. */
async function prepaidOrder(quantity = 1) {
  const order = await newOrder(alice, quantity);
  const res = await payOrder(alice, { order_id: order.order_id });
  expect(res.status).toBe(200);
  return order;
}

// ------------------------------------------------------------------ pay-order
test('pay-order: a prepay at WeChat Pay, and wx.requestPayment parameters signed with the merchant key', async () => {
  const order = await newOrder(alice);
  expect(order).toMatchObject({ status: 'pending', pay_fen: 16800 });
  const before = Math.floor(Date.now() / 1000);
  const res = await payOrder(alice, { order_id: order.order_id });
  expect(res.status).toBe(200);
  const trade = fake.pay.trade(order.order_no)!;
  expect(trade).toMatchObject({
    appid: APPID, mchid: fake.pay.mchid, out_trade_no: order.order_no, trade_state: 'NOTPAY',
    payer: { openid: 'oAlice_pay_0001' }, amount: { total: 16800, currency: 'CNY' },
  });
  expect(res.body).toEqual({
    timeStamp: expect.stringMatching(/^\d{10}$/), nonceStr: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
    package: `prepay_id=${trade.prepay_ids[0]}`, signType: 'RSA', paySign: expect.any(String),
  });
  expect(Number(res.body.timeStamp)).toBeGreaterThanOrEqual(before);
  const message = `${APPID}\n${res.body.timeStamp}\n${res.body.nonceStr}\n${res.body.package}\n`;
  const merchantPublic = crypto.createPublicKey(fake.pay.merchantPublicKeyPem);
  expect(crypto.verify('sha256', Buffer.from(message), merchantPublic, Buffer.from(res.body.paySign, 'base64'))).toBe(true);
  expect(crypto.verify('sha256', Buffer.from(message.replace(APPID, 'wxother')), merchantPublic, Buffer.from(res.body.paySign, 'base64'))).toBe(false);

  // asking again sends WeChat the same parameters (description and time_expire were frozen): same prepay
  const again = await payOrder(alice, { order_no: order.order_no });
  expect(again.status).toBe(200);
  expect(again.body.package).toBe(res.body.package);
  const [req] = await db.query(`select description, time_expire from rebate.payment_requests where order_id = $1`, [order.order_id]);
  expect(req.description).toBe('明前龙井 250g');
  expect(req.time_expire.getTime() - Date.now()).toBeGreaterThan(25 * 60_000);
  expect(req.time_expire.getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'pending', payment_ref: null });
});

test('a member cannot pay another member\'s order, by id or by number', async () => {
  const order = await newOrder(alice);
  const byId = await payOrder(bob, { order_id: order.order_id });
  expect(byId).toEqual({ status: 404, body: { code: 'order_not_found', message: '订单不存在' } });
  const byNo = await payOrder(bob, { order_no: order.order_no });
  expect(byNo).toEqual({ status: 404, body: { code: 'order_not_found', message: '订单不存在' } });
  expect(fake.pay.trade(order.order_no)).toBeUndefined();
  expect((await db.query(`select count(*)::int as n from rebate.payment_requests where order_id = $1`, [order.order_id]))[0].n).toBe(0);
});

test('pay-order refuses without a member token, with bad input, and a member without openid', async () => {
  const order = await newOrder(alice);
  expect(await payOrder(ANON_KEY, { order_id: order.order_id })).toEqual({ status: 401, body: { code: 'login_required', message: '请先登录' } });
  const garbled = await payOrder('not-a-jwt', { order_id: order.order_id });
  expect(garbled.status).toBe(401);
  for (const body of [{}, { order_id: '1' }, { order_id: -1 }, { order_id: 1.5 }, { order_no: 'x y' }]) {
    expect(await payOrder(alice, body)).toEqual({ status: 400, body: { code: 'invalid_order', message: '订单编号无效' } });
  }
  expect(await payOrder(alice, { order_id: 999999999 })).toEqual({ status: 404, body: { code: 'order_not_found', message: '订单不存在' } });

  // a member who never logged in through WeChat has no openid to pay with
  const [{ id }] = await db.query(`insert into auth.users (aud, role) values ('authenticated', 'authenticated') returning id`);
  await db.query(`insert into rebate.members (id, member_code) values ($1, 'NOOPENID')`, [id]);
  const now = Math.floor(Date.now() / 1000);
  const token = gateway.signJwt({ sub: id, role: 'authenticated', aud: 'authenticated', iat: now, exp: now + 600 }, JWT_SECRET);
  const mine = await newOrder(token);
  expect(await payOrder(token, { order_id: mine.order_id })).toEqual({ status: 400, body: { code: 'openid_missing', message: '请使用微信登录后再支付' } });
});

test('pay-order: 503 payment_unavailable while WeChat Pay is not configured', async () => {
  const order = await newOrder(alice);
  expect(await payOrder(alice, { order_id: order.order_id }, `${unconfigured.url}/pay-order`))
    .toEqual({ status: 503, body: { code: 'payment_unavailable', message: '支付暂未开通' } });
  expect(fake.pay.trade(order.order_no)).toBeUndefined();
});

test('pay-order: a merchant key WeChat Pay refuses (SIGN_ERROR) and an answer we cannot verify give no parameters', async () => {
  const order = await newOrder(alice);
  expect(await payOrder(alice, { order_id: order.order_id }, `${wrongMerchantKey.url}/pay-order`))
    .toEqual({ status: 500, body: { code: 'payment_misconfigured', message: '支付配置有误，请联系客服' } });
  expect(fake.pay.trade(order.order_no)).toBeUndefined();

  const res = await payOrder(alice, { order_id: order.order_id }, `${wrongPlatformKey.url}/pay-order`);
  expect(res).toEqual({ status: 502, body: { code: 'payment_failed', message: '发起支付失败，请稍后再试' } });
  expect(fake.pay.trade(order.order_no)?.trade_state).toBe('NOTPAY'); // WeChat made it; we refused the answer
});

test('pay-order: WeChat Pay busy → 502, and the member can try again', async () => {
  const order = await newOrder(alice);
  fake.pay.failNext('POST /v3/pay/transactions/jsapi', 500, 'SYSTEM_ERROR', '系统繁忙，请稍后重试');
  expect(await payOrder(alice, { order_id: order.order_id }))
    .toEqual({ status: 502, body: { code: 'payment_unavailable', message: '支付服务繁忙，请稍后再试' } });
  expect((await payOrder(alice, { order_id: order.order_id })).status).toBe(200);
});

// ------------------------------------------------------------------ notifications
test('the payment notification marks the order paid once; a repeat changes nothing', async () => {
  const order = await prepaidOrder();
  const sent = await fake.payOrder(order.order_no);
  expect(sent.attempts.map((a) => a.status)).toEqual([204]);
  expect(sent.attempts[0].body).toBe('');
  const transactionId = sent.resource.transaction_id;
  expect(await orderRow(order.order_no)).toEqual({ status: 'paid', payment_ref: transactionId, pay_fen: 16800, refunded_fen: 0 });
  const seen = await myOrder(alice, order.order_id);
  expect(seen).toMatchObject({ status: 'paid', lines: [expect.objectContaining({ joined: true, entitlement_fen: 16800 })] });

  const after = await state();
  for (let i = 0; i < 2; i++) expect((await fake.resend(sent)).status).toBe(204);
  expect(await state()).toBe(after);

  // paying again is refused by WeChat Pay (ORDERPAID) and by us first
  expect(await payOrder(alice, { order_id: order.order_id })).toEqual({ status: 409, body: { code: 'order_already_paid', message: '订单已支付' } });
});

test('a notification WeChat did not sign, an old one and one under an unknown serial are refused; nothing changes', async () => {
  const order = await prepaidOrder();
  const resource = {
    appid: APPID, mchid: fake.pay.mchid, out_trade_no: order.order_no, transaction_id: '4200000000202611250000000001',
    trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '',
    success_time: '2026-11-25T10:00:00+08:00', payer: { openid: 'oAlice_pay_0001' },
    amount: { total: 16800, payer_total: 16800, currency: 'CNY', payer_currency: 'CNY' },
  };
  const before = await state();
  const now = Math.floor(Date.now() / 1000);
  const cases: Array<[string, Parameters<WechatFake['sendNotification']>[1]]> = [
    ['another key', { resource, sign: { key: otherKey.privateKey } }],
    ['six minutes old', { resource, sign: { timestamp: now - 360 } }],
    ['six minutes ahead', { resource, sign: { timestamp: now + 360 } }],
    ['unknown serial', { resource, sign: { serial: 'PUB_KEY_ID_SOMEONE_ELSE' } }],
  ];
  for (const [name, options] of cases) {
    const res = await fake.sendNotification(notifyUrl, options);
    expect([name, res.status, JSON.parse(res.body)]).toEqual([name, 401, { code: 'FAIL', message: '签名验证失败' }]);
  }
  // a body changed after WeChat signed it
  const genuine = await fake.sendNotification(`${fake.url}/nowhere`, { resource });
  const tampered = genuine.sent.replace('"event_type":"TRANSACTION.SUCCESS"', '"event_type":"TRANSACTION.SUCCESS" ');
  const headers = fake.pay.sign(genuine.sent);
  const res = await fetch(notifyUrl, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: tampered });
  expect(res.status).toBe(401);
  // no headers at all
  expect((await fetch(notifyUrl, { method: 'POST', body: genuine.sent })).status).toBe(401);
  expect(await state()).toBe(before);
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'pending', payment_ref: null });
});

test('a genuine notification with the wrong amount, another merchant or a resource we cannot decrypt is refused', async () => {
  const order = await prepaidOrder();
  const resource = {
    appid: APPID, mchid: fake.pay.mchid, out_trade_no: order.order_no, transaction_id: '4200000000202611250000000002',
    trade_type: 'JSAPI', trade_state: 'SUCCESS', trade_state_desc: '支付成功', bank_type: 'OTHERS', attach: '',
    success_time: '2026-11-25T10:00:00+08:00', payer: { openid: 'oAlice_pay_0001' },
    amount: { total: 16799, payer_total: 16799, currency: 'CNY', payer_currency: 'CNY' },
  };
  const before = await state();
  const wrongAmount = await fake.sendNotification(notifyUrl, { resource });
  expect([wrongAmount.status, JSON.parse(wrongAmount.body)]).toEqual([400, { code: 'FAIL', message: '支付金额与订单不符' }]);
  const otherMerchant = await fake.sendNotification(notifyUrl, { resource: { ...resource, mchid: '1900009999', amount: { total: 16800 } } });
  expect(otherMerchant.status).toBe(400);
  const otherApp = await fake.sendNotification(notifyUrl, { resource: { ...resource, appid: 'wxsomeoneelse', amount: { total: 16800 } } });
  expect(otherApp.status).toBe(400);
  const notSuccess = await fake.sendNotification(notifyUrl, { resource: { ...resource, trade_state: 'NOTPAY', amount: { total: 16800 } } });
  expect(notSuccess.status).toBe(400);
  const unknownOrder = await fake.sendNotification(notifyUrl, { resource: { ...resource, out_trade_no: 'NOSUCHORDER01', amount: { total: 16800 } } });
  expect([unknownOrder.status, JSON.parse(unknownOrder.body)]).toEqual([400, { code: 'FAIL', message: '订单不存在' }]);
  // encrypted with another APIv3 key: the signature holds, decryption fails → 500, WeChat retries
  const body = JSON.parse(wrongAmount.sent);
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from('X'.repeat(32)), Buffer.from(body.resource.nonce));
  cipher.setAAD(Buffer.from('transaction'));
  body.resource.ciphertext = Buffer.concat([cipher.update(JSON.stringify({ ...resource, amount: { total: 16800 } })), cipher.final(), cipher.getAuthTag()]).toString('base64');
  const undecryptable = await fake.sendNotification(notifyUrl, { body: JSON.stringify(body) });
  expect([undecryptable.status, JSON.parse(undecryptable.body)]).toEqual([500, { code: 'FAIL', message: '解密失败' }]);
  expect(await state()).toBe(before);

  // the genuine one still goes through afterwards
  const sent = await fake.payOrder(order.order_no);
  expect(sent.attempts[0].status).toBe(204);
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'paid', payment_ref: sent.resource.transaction_id });
});

test('a notification the database cannot apply yet is answered 5xx and retried by WeChat until it can', async () => {
  const order = await prepaidOrder();
  // the service role cannot accept payments for a moment (say, a deployment half done)
  await db.query(`revoke execute on function public.accept_payment(text, text, bigint) from service_role`);
  let sent;
  try {
    sent = await fake.payOrder(order.order_no);
    expect([sent.attempts[0].status, JSON.parse(sent.attempts[0].body)]).toEqual([500, { code: 'FAIL', message: '系统繁忙' }]);
    expect((await orderRow(order.order_no)).status).toBe('pending');
  } finally {
    await db.query(`grant execute on function public.accept_payment(text, text, bigint) to service_role`);
  }
  expect(await sent.delivered).toBe(true);
  expect(sent.attempts.at(-1)!.status).toBe(204);
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'paid', payment_ref: sent.resource.transaction_id });
});

test('the refund notification refunds the order once; a repeat changes nothing', async () => {
  const order = await prepaidOrder(2);
  await fake.payOrder(order.order_no);
  expect((await orderRow(order.order_no)).status).toBe('paid');

  const sent = await fake.refund(order.order_no);
  expect(sent.attempts.map((a) => a.status)).toEqual([204]);
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'refunded', refunded_fen: expect.any(Number) });
  const [refund] = await db.query(`select refund_ref from rebate.refunds r join rebate.orders o on o.id = r.order_id where o.order_no = $1`, [order.order_no]);
  expect(refund.refund_ref).toBe(sent.resource.refund_id);
  expect((await myOrder(alice, order.order_id)).status).toBe('refunded');

  const after = await state();
  expect((await fake.resend(sent)).status).toBe(204);
  expect(await state()).toBe(after);

  // a second, different refund of an order already refunded in full is refused (and logged)
  const second = await fake.sendNotification(notifyUrl, {
    eventType: 'REFUND.SUCCESS', summary: '退款成功', originalType: 'refund',
    resource: { ...sent.resource, refund_id: '50000000000000000000000000099', out_refund_no: 'RF-AGAIN' },
  });
  expect(second.status).toBe(400);
  expect(await state()).toBe(after);
});

test('refund of an order that was never paid is refused; other events are acknowledged', async () => {
  const order = await prepaidOrder();
  const before = await state();
  const refund = await fake.sendNotification(notifyUrl, {
    eventType: 'REFUND.SUCCESS', summary: '退款成功', originalType: 'refund',
    resource: { mchid: fake.pay.mchid, out_trade_no: order.order_no, transaction_id: '4200', out_refund_no: 'RF1', refund_id: '50000000000000000000000000001', refund_status: 'SUCCESS', amount: { total: 16800, refund: 16800 } },
  });
  expect([refund.status, JSON.parse(refund.body)]).toEqual([400, { code: 'FAIL', message: '订单当前状态不能退款' }]);
  const closed = await fake.sendNotification(notifyUrl, {
    eventType: 'REFUND.CLOSED', summary: '退款关闭', originalType: 'refund',
    resource: { mchid: fake.pay.mchid, out_trade_no: order.order_no, refund_status: 'CLOSED' },
  });
  expect([closed.status, closed.body]).toEqual([204, '']);
  expect(await state()).toBe(before);
  expect((await fetch(notifyUrl)).status).toBe(405);
});

test('prepare_payment and payment_requests are for the service role only', async () => {
  const [f] = await db.query(`
    select has_function_privilege('anon', p.oid, 'execute') as anon,
           has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
           has_function_privilege('service_role', p.oid, 'execute') as service_role,
           has_function_privilege('public', p.oid, 'execute') as public, p.prosecdef, p.proconfig
      from pg_proc p where p.oid = 'public.prepare_payment(text, uuid, integer)'::regprocedure`);
  expect(f).toEqual({ anon: false, authenticated: false, service_role: true, public: false, prosecdef: true, proconfig: ['search_path=""'] });
  const [t] = await db.query(`
    select has_table_privilege('anon', 'rebate.payment_requests', 'select') as anon,
           has_table_privilege('authenticated', 'rebate.payment_requests', 'select') as authenticated,
           has_table_privilege('service_role', 'rebate.payment_requests', 'insert') as service_insert,
           c.relrowsecurity as rls
      from pg_class c where c.oid = 'rebate.payment_requests'::regclass`);
  expect(t).toEqual({ anon: false, authenticated: false, service_insert: false, rls: true });

  // through the API, a member cannot read another member's openid
  const order = await newOrder(alice);
  const { data, error } = await client(bob).rpc('prepare_payment', { p_order_no: order.order_no, p_member_id: null });
  expect(data).toBeNull();
  expect(error?.code).toBe('42501');
});

test('the description names the first item and counts the rest; a closed payment window is refused', async () => {
  const [{ id: rice }] = await db.query(`insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, listed)
                                         values ('PAY-RICE', 'self', '五常大米 5kg', 10000, true, true) returning id::int`);
  const { data, error } = await client(alice).rpc('create_order', {
    p_order: { channel: 'mall', lines: [{ product_id: productId, quantity: 1 }, { product_id: rice, quantity: 2 }] },
  });
  expect(error).toBeNull();
  const order = data as Order;
  expect((await payOrder(alice, { order_id: order.order_id })).status).toBe(200);
  const [req] = await db.query(`select description from rebate.payment_requests where order_id = $1`, [order.order_id]);
  expect(req.description).toBe('明前龙井 250g 等2件商品');
  expect(fake.pay.trade(order.order_no)?.amount.total).toBe(36800);

  // less than a minute left of the window WeChat was given: the member must order again
  await db.query(`update rebate.payment_requests set time_expire = now() + interval '50 seconds' where order_id = $1`, [order.order_id]);
  expect(await payOrder(alice, { order_id: order.order_id }))
    .toEqual({ status: 409, body: { code: 'payment_expired', message: '支付已超时，请重新下单' } });
});

// Refunds and expiry through WeChat Pay, end to end: finance's token → refund-start (real Deno)
// → the database records the refund (SPEC §10 amount, out_refund_no) → signed POST to the fake
// WeChat Pay → its REFUND.* notifications → gateway → pay-notify → record_wechat_refund; the
// refund-query and order-expiry jobs. Duplicated, reordered, forged, stale and wrong-amount
// notifications, WeChat errors, time-outs and a crash before the call: SPEC §10 applies once,
// nothing is refunded twice, and reconcile() is clean after every scenario.
import crypto from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type HeldNotification, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { startScheduleTimer } from '../../supabase/local/schedule-timer.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e000000refund';
const SECRET = 'e2e-wechat-secret';
const REFUNDS = 'POST /v3/refund/domestic/refunds';

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;
let notifyUrl: string;
let tea: number;
let rice: number;
let alice: string; // tokens
let bob: string;
let finance: string;
let aliceId: string;

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
  fns = await startFunctions({
    port, quiet: true,
    env: {
      SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET,
      WECHAT_API_BASE: fake.url, WECHAT_APPID: APPID, WECHAT_SECRET: SECRET, REBATE_LOCAL_DEV: undefined,
      WECHATPAY_TIMEOUT_MS: '1000', WECHATPAY_RETRY_DELAY_MS: '20', ...fake.pay.env(notifyUrl),
    },
  });
  fake.pay.refunds.mode = 'manual';
  await db.query(`update rebate.settings set enabled = true, merchant_queue = true, default_reward_bps = 10000,
                  extraction_bps = 1000 where id = 1`);
  [{ id: tea }] = await db.query(`insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, listed)
                                  values ('RF-TEA', 'self', '明前龙井 250g', 16800, true, true) returning id::int`);
  [{ id: rice }] = await db.query(`insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, listed)
                                   values ('RF-RICE', 'self', '五常大米 5kg', 10000, true, true) returning id::int`);
  alice = await login('oAlice_refund_01');
  bob = await login('oBob_refund_01');
  finance = await login('oFinance_refund_01');
  await db.query(`insert into rebate.staff_roles (member_id, role) select id, 'finance' from rebate.members where openid = 'oFinance_refund_01'`);
  [{ id: aliceId }] = await db.query(`select id from rebate.members where openid = 'oAlice_refund_01'`);
}, 90_000);

afterAll(async () => {
  await fns?.stop();
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

afterEach(async () => {
  // the books balance after every scenario
  expect(await db.query(`select * from public.reconcile()`)).toEqual([]);
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

async function call(name: string, body: unknown, token: string) {
  const res = await fetch(`${gw.url}/functions/v1/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

/** A paid order of alice's (through pay-order and the fake's notification). */
async function paidOrder(lines: Array<[number, number]>) {
  const { data, error } = await client(alice).rpc('create_order', {
    p_order: { channel: 'mall', lines: lines.map(([product_id, quantity]) => ({ product_id, quantity })) },
  });
  expect(error).toBeNull();
  const order = data as { order_id: number; order_no: string; pay_fen: number };
  expect((await call('pay-order', { order_id: order.order_id }, alice)).status).toBe(200);
  expect((await fake.payOrder(order.order_no)).attempts[0].status).toBe(204);
  return order;
}

/** bob buys tea: 10% of ¥168.00 pays the oldest waiting entry (alice's). */
async function bobBuysTea() {
  const { data } = await client(bob).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: tea, quantity: 1 }] } });
  const o = data as { order_id: number; order_no: string };
  expect((await call('pay-order', { order_id: o.order_id }, bob)).status).toBe(200);
  await fake.payOrder(o.order_no);
}

const refundRow = async (no: string) => (await db.query(
  `select status, wechat_status, refund_fen::int, kept_back_fen::int[], last_error, attempts, refund_id is not null as booked
     from rebate.wechat_refunds where out_refund_no = $1`, [no]))[0];
const orderRow = async (no: string) => (await db.query(
  `select status, pay_fen::int, refunded_fen::int from rebate.orders where order_no = $1`, [no]))[0];
const lineRows = async (no: string) => db.query(
  `select l.line_no, l.refunded_at is not null as refunded, l.refund_fen::int, l.clawback_fen::int, l.shortfall_fen::int, e.status as entry
     from rebate.order_lines l join rebate.orders o on o.id = l.order_id left join rebate.entries e on e.line_id = l.id
    where o.order_no = $1 order by l.line_no`, [no]);

/** Everything a refund could change, as text. */
async function state(): Promise<string> {
  const tables = ['orders', 'order_lines', 'entries', 'refunds', 'wechat_refunds', 'refund_requests', 'wallets', 'ledger', 'rewards'];
  const parts: string[] = [];
  for (const t of tables) {
    const [row] = await db.query(`select coalesce(jsonb_agg(to_jsonb(x) - 'updated_at' - 'next_attempt_at' order by to_jsonb(x)::text), '[]')::text as j from rebate.${t} x`);
    parts.push(`${t}: ${row.j}`);
  }
  return parts.join('\n');
}

/** Runs the refund-query job now (every open refund due). */
async function refundJob() {
  await db.query(`update rebate.wechat_refunds set next_attempt_at = now() where status in ('created', 'processing', 'abnormal')`);
  const r = await call('refund-query', {}, SERVICE_ROLE_KEY);
  expect(r.status).toBe(200);
  return r.body;
}

async function startRefund(body: Record<string, unknown>) {
  const r = await call('refund-start', body, finance);
  expect(r.status).toBe(200);
  return r.body.refund as Record<string, any>;
}

// ------------------------------------------------------------------ refunds
test('finance refunds one line: the rebate it received is kept back, SPEC §10 applies once on REFUND.SUCCESS; a repeat changes nothing', async () => {
  const order = await paidOrder([[tea, 1], [rice, 1]]);
  await bobBuysTea(); // alice's tea entry receives ¥16.80, her rice entry nothing yet

  const refund = await startRefund({ order_no: order.order_no, line_nos: [1], reason: '商品破损' });
  expect(refund).toMatchObject({ status: 'processing', status_label: '退款中', refund_fen: 16800 - 1680, total_fen: 26800,
                                 out_refund_no: `RF${order.order_no}-1`, line_nos: [1] });
  expect(fake.pay.refunds.get(refund.out_refund_no)).toMatchObject({ status: 'PROCESSING', amount: { refund: 15120, total: 26800 } });
  // nothing refunded here yet: WeChat has not paid
  expect(await lineRows(order.order_no)).toEqual([
    { line_no: 1, refunded: false, refund_fen: 0, clawback_fen: 0, shortfall_fen: 0, entry: 'waiting' },
    { line_no: 2, refunded: false, refund_fen: 0, clawback_fen: 0, shortfall_fen: 0, entry: 'waiting' }]);
  // the line cannot be refunded twice while WeChat works on it
  const again = await call('refund-start', { order_no: order.order_no, line_nos: [1], reason: '重复' }, finance);
  expect(again).toEqual({ status: 400, body: { code: 'refund_in_progress', message: '所选商品正在退款中' } });

  const sent = await fake.pay.refunds.finish(refund.out_refund_no, 'SUCCESS') as any;
  expect(sent.attempts.map((a: any) => a.status)).toEqual([204]);
  expect(await refundRow(refund.out_refund_no)).toMatchObject({ status: 'success', refund_fen: 15120, kept_back_fen: [1680], booked: true });
  expect(await lineRows(order.order_no)).toEqual([
    { line_no: 1, refunded: true, refund_fen: 15120, clawback_fen: 1680, shortfall_fen: 0, entry: 'voided' },
    { line_no: 2, refunded: false, refund_fen: 0, clawback_fen: 0, shortfall_fen: 0, entry: 'waiting' }]);
  expect(await orderRow(order.order_no)).toEqual({ status: 'paid', pay_fen: 26800, refunded_fen: 15120 });
  const [msg] = await db.query(`select title, body from rebate.messages where member_id = $1 and kind = 'refund_done'`, [aliceId]);
  expect(msg).toEqual({ title: '退款成功', body: `订单${order.order_no}退款¥151.20已原路退回（已返现金额已从退款中扣除）` });

  const after = await state();
  for (let i = 0; i < 2; i++) expect((await fake.resend(sent)).status).toBe(204);
  expect(await refundJob()).toEqual({ due: 0 });
  expect(await state()).toBe(after);
  const audit = await db.query(`select action, object_id, reason from rebate.audit_log where action = 'refund.start' and object_id = $1`, [order.order_no]);
  expect(audit).toEqual([{ action: 'refund.start', object_id: order.order_no, reason: '商品破损' }]);
});

test('a member\'s request approved by finance; notifications arriving out of order (SUCCESS before a stale ABNORMAL) apply once', async () => {
  const order = await paidOrder([[rice, 2]]);
  const { data: req, error } = await client(alice).rpc('request_refund', { p_order_id: order.order_id, p_line_nos: [1], p_reason: '不想要了' });
  expect(error).toBeNull();
  const refund = await startRefund({ request_id: (req as any).request_id });
  expect(refund).toMatchObject({ status: 'processing', refund_fen: 20000, request_id: (req as any).request_id });
  const mine = async () => ((await client(alice).rpc('my_refund_requests', { p_order_id: order.order_id })).data as any[])[0];
  expect(await mine()).toMatchObject({ status: 'approved', status_label: '退款中' });

  const abnormal = await fake.pay.refunds.finish(refund.out_refund_no, 'ABNORMAL', { notify: 'hold' }) as HeldNotification;
  const success = await fake.pay.refunds.finish(refund.out_refund_no, 'SUCCESS', { notify: 'hold' }) as HeldNotification;
  expect((await fake.pay.refunds.post(success)).status).toBe(204);
  const after = await state();
  expect((await fake.pay.refunds.post(abnormal)).status).toBe(204); // stale: acknowledged, ignored
  expect(await state()).toBe(after);
  expect(await refundRow(refund.out_refund_no)).toMatchObject({ status: 'success', wechat_status: 'SUCCESS' });
  expect(await orderRow(order.order_no)).toEqual({ status: 'refunded', pay_fen: 20000, refunded_fen: 20000 });
  expect(await mine()).toMatchObject({ status: 'approved', status_label: '已退款' });
  // a second approval of the same request is refused
  const twice = await call('refund-start', { request_id: (req as any).request_id }, finance);
  expect(twice).toEqual({ status: 400, body: { code: 'refund_request_not_pending', message: '该退款申请已处理' } });
});

test('forged, stale, tampered and wrong-amount refund notifications are refused and change nothing', async () => {
  const order = await paidOrder([[rice, 1]]);
  const refund = await startRefund({ order_no: order.order_no, reason: '七天无理由' });
  const held = await fake.pay.refunds.finish(refund.out_refund_no, 'SUCCESS', { notify: 'hold' }) as HeldNotification;
  const resource = held.resource;
  const before = await state();
  const now = Math.floor(Date.now() / 1000);
  const send = (options: Parameters<WechatFake['sendNotification']>[1]) =>
    fake.sendNotification(notifyUrl, { eventType: 'REFUND.SUCCESS', summary: '退款成功', originalType: 'refund', ...options });
  expect((await send({ resource, sign: { key: otherKey.privateKey } })).status).toBe(401);
  expect((await send({ resource, sign: { timestamp: now - 400 } })).status).toBe(401);
  expect((await send({ resource, sign: { serial: 'PUB_KEY_ID_OTHER' } })).status).toBe(401);
  const tampered = held.body.replace('"event_type":"REFUND.SUCCESS"', '"event_type":"REFUND.SUCCESS" ');
  const res = await fetch(notifyUrl, { method: 'POST', headers: { ...fake.pay.sign(held.body), 'Content-Type': 'application/json' }, body: tampered });
  expect(res.status).toBe(401);
  const wrong = await send({ resource: { ...resource, amount: { ...resource.amount, refund: resource.amount.refund + 1 } } });
  expect([wrong.status, JSON.parse(wrong.body)]).toEqual([400, { code: 'FAIL', message: '退款金额与退款单不符' }]);
  const otherMerchant = await send({ resource: { ...resource, mchid: '1900009999' } });
  expect(otherMerchant.status).toBe(400);
  const mislabelled = await send({ resource, eventType: 'REFUND.CLOSED' });
  expect(mislabelled.status).toBe(400);
  expect(await state()).toBe(before);
  expect((await fake.pay.refunds.post(held)).status).toBe(204);
  expect(await refundRow(refund.out_refund_no)).toMatchObject({ status: 'success' });
});

test('WeChat errors: NOT_ENOUGH is shown with what to do and retried with the same out_refund_no; FREQUENCY_LIMITED is retried in the call', async () => {
  const order = await paidOrder([[rice, 1]]);
  fake.pay.failNext(REFUNDS, 403, 'NOT_ENOUGH', '基本账户余额不足，请充值后重新发起');
  const first = await startRefund({ order_no: order.order_no, reason: '不想要了' });
  expect(first).toMatchObject({ status: 'created', status_label: '待发送', attempts: 1,
                                last_error: 'NOT_ENOUGH: 基本账户余额不足，请充值后重新发起', advice: expect.stringContaining('充值后点「重试」') });
  expect(fake.pay.refunds.get(first.out_refund_no)).toBeUndefined();
  const listed = await client(finance).rpc('console_list_refunds', { p_status: 'open' });
  expect((listed.data as any[]).map((r) => r.out_refund_no)).toContain(first.out_refund_no);

  fake.pay.failNext(REFUNDS, 429, 'FREQUENCY_LIMITED', '频率超限');
  fake.pay.failNext(REFUNDS, 429, 'FREQUENCY_LIMITED', '频率超限');
  const retried = await startRefund({ retry: first.out_refund_no });
  expect(retried).toMatchObject({ out_refund_no: first.out_refund_no, status: 'processing', last_error: null });
  await fake.pay.refunds.finish(first.out_refund_no, 'SUCCESS');
  expect(await orderRow(order.order_no)).toEqual({ status: 'refunded', pay_fen: 10000, refunded_fen: 10000 });
  expect(fake.pay.refunds.all().filter((r) => r.out_trade_no === order.order_no)).toHaveLength(1);
});

test('a time-out after WeChat made the refund, and a crash before the call: the job sends the same out_refund_no, refunded once', async () => {
  const order = await paidOrder([[rice, 1], [tea, 1]]);
  fake.pay.refunds.delayNext(3000);
  const timedOut = await startRefund({ order_no: order.order_no, line_nos: [1], reason: '超时测试' });
  expect(timedOut).toMatchObject({ status: 'created', last_error: expect.stringMatching(/^TIMEOUT: /) });
  expect(fake.pay.refunds.get(timedOut.out_refund_no)?.status).toBe('PROCESSING'); // WeChat did make it

  // a crash between recording the refund and calling WeChat: only the database knows it
  const { data: crashed, error } = await client(finance).rpc('console_start_refund',
    { p_order_no: order.order_no, p_line_nos: [2], p_reason: '崩溃测试' });
  expect(error).toBeNull();
  expect(fake.pay.refunds.get((crashed as any).out_refund_no)).toBeUndefined();

  expect(await refundJob()).toEqual({ due: 2, processing: 2 });
  expect(fake.pay.refunds.all().filter((r) => r.out_trade_no === order.order_no).map((r) => r.amount.refund).sort())
    .toEqual([10000, 16800]); // one refund each, the first not made twice
  // the notifications are lost: the job's query finishes them
  await fake.pay.refunds.finish(timedOut.out_refund_no, 'SUCCESS', { notify: false });
  await fake.pay.refunds.finish((crashed as any).out_refund_no, 'SUCCESS', { notify: false });
  expect(await refundJob()).toEqual({ due: 2, success: 2 });
  expect(await orderRow(order.order_no)).toEqual({ status: 'refunded', pay_fen: 26800, refunded_fen: 26800 });
  expect(await refundJob()).toEqual({ due: 0 });
});

test('WeChat busy three times, then the job succeeds; a closed refund is started again with a new out_refund_no', async () => {
  const order = await paidOrder([[rice, 1]]);
  for (let i = 0; i < 3; i++) fake.pay.failNext(REFUNDS, 500, 'SYSTEM_ERROR', '系统繁忙');
  const busy = await startRefund({ order_no: order.order_no, reason: '系统繁忙测试' });
  expect(busy).toMatchObject({ status: 'created', last_error: 'SYSTEM_ERROR: 系统繁忙' });
  expect(await refundJob()).toEqual({ due: 1, processing: 1 });

  await fake.pay.refunds.finish(busy.out_refund_no, 'CLOSED');
  expect(await refundRow(busy.out_refund_no)).toMatchObject({ status: 'closed', booked: false });
  expect(await orderRow(order.order_no)).toEqual({ status: 'paid', pay_fen: 10000, refunded_fen: 0 });
  const [view] = (await client(finance).rpc('console_list_refunds', { p_order_no: order.order_no })).data as any[];
  expect(view.advice).toContain('重新发起');

  const again = await startRefund({ retry: busy.out_refund_no });
  expect(again).toMatchObject({ out_refund_no: `RF${order.order_no}-2`, retry_of: expect.any(Number), status: 'processing' });
  expect((await call('refund-start', { retry: busy.out_refund_no }, finance)).body.code).toBe('refund_not_retryable');
  await fake.pay.refunds.finish(again.out_refund_no, 'SUCCESS');
  expect(await orderRow(order.order_no)).toEqual({ status: 'refunded', pay_fen: 10000, refunded_fen: 10000 });
});

test('only finance starts refunds; only the schedule runs the jobs; a member rejected with a reason', async () => {
  const order = await paidOrder([[rice, 1]]);
  expect(await call('refund-start', { order_no: order.order_no, reason: 'x' }, alice))
    .toEqual({ status: 403, body: { code: 'forbidden_role', message: '没有权限执行此操作' } });
  expect((await call('refund-start', { order_no: order.order_no }, finance)).body.code).toBe('invalid_refund');
  for (const job of ['refund-query', 'order-expiry']) {
    expect(await call(job, {}, alice)).toEqual({ status: 401, body: { code: 'job_forbidden', message: '仅限定时任务调用' } });
    expect((await call(job, {}, ANON_KEY)).status).toBe(401);
  }
  const { data: req } = await client(alice).rpc('request_refund', { p_order_id: order.order_id, p_line_nos: [1], p_reason: '不想要了' });
  const rejected = await client(finance).rpc('console_reject_refund_request', { p_request_id: (req as any).request_id, p_reason: '已超过退款期限' });
  expect(rejected.data).toMatchObject({ status: 'rejected', status_label: '已驳回', reject_reason: '已超过退款期限' });
  expect(await orderRow(order.order_no)).toEqual({ status: 'paid', pay_fen: 10000, refunded_fen: 0 });
});

// ------------------------------------------------------------------ expiry
test('expiry: unpaid past time_expire → closed at WeChat and cancelled (points back); a lost payment accepted; never-sent cancelled', async () => {
  // alice has 500 points (a recorded correction) and uses them
  expect((await client(finance).rpc('console_adjust_balance', { p_member_id: aliceId, p_asset: 'points', p_delta: 500, p_reason: '测试积分' })).error).toBeNull();
  const pts = async () => (await db.query(`select points::int from rebate.wallets where member_id = $1`, [aliceId]))[0].points;
  const before = await pts();
  const { data: d1 } = await client(alice).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: rice, quantity: 1 }], points_fen: 500 } });
  const unpaid = d1 as any;
  expect(await pts()).toBe(before - 500);
  expect((await call('pay-order', { order_id: unpaid.order_id }, alice)).status).toBe(200);

  const { data: d2 } = await client(alice).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: tea, quantity: 1 }] } });
  const lost = d2 as any;
  expect((await call('pay-order', { order_id: lost.order_id }, alice)).status).toBe(200);
  const transactionId = fake.pay.refunds.payWithoutNotification(lost.order_no);

  const { data: d3 } = await client(alice).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: rice, quantity: 1 }] } });
  const neverSent = d3 as any;

  // not due yet: nothing happens
  expect((await call('order-expiry', {}, SERVICE_ROLE_KEY)).body).toMatchObject({ due: 0 });
  await db.query(`update rebate.payment_requests set time_expire = now() - interval '1 minute' where order_id = any($1)`, [[unpaid.order_id, lost.order_id]]);
  await db.query(`update rebate.orders set created_at = now() - interval '25 hours' where id = $1`, [neverSent.order_id]);

  const run = await call('order-expiry', {}, SERVICE_ROLE_KEY);
  expect(run).toEqual({ status: 200, body: { due: 3, paid: 1, cancelled: 2, waiting: 0, skipped: 0, errors: 0, closed: 0, late_paid: 0 } });
  expect(fake.pay.trade(unpaid.order_no)?.trade_state).toBe('CLOSED');
  expect(await orderRow(unpaid.order_no)).toMatchObject({ status: 'cancelled' });
  expect(await pts()).toBe(before);
  expect(await db.query(`select status, payment_ref from rebate.orders where order_no = $1`, [lost.order_no]))
    .toEqual([{ status: 'paid', payment_ref: transactionId }]);
  expect((await db.query(`select count(*)::int as n from rebate.entries e join rebate.orders o on o.id = e.order_id where o.order_no = $1`, [lost.order_no]))[0].n).toBe(1);
  expect(await orderRow(neverSent.order_no)).toMatchObject({ status: 'cancelled' });
  // the notification arriving late after all changes nothing
  expect((await call('order-expiry', {}, SERVICE_ROLE_KEY)).body).toMatchObject({ due: 0 });
});

test('expiry: WeChat unreachable or busy leaves the order pending for the next run; a trade paid meanwhile is not cancelled', async () => {
  const { data } = await client(alice).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: rice, quantity: 1 }] } });
  const o = data as any;
  expect((await call('pay-order', { order_id: o.order_id }, alice)).status).toBe(200);
  await db.query(`update rebate.payment_requests set time_expire = now() - interval '1 minute' where order_id = $1`, [o.order_id]);
  for (let i = 0; i < 3; i++) fake.pay.failNext('GET /v3/pay/transactions/out-trade-no/{no}', 500, 'SYSTEM_ERROR', '系统繁忙');
  expect((await call('order-expiry', {}, SERVICE_ROLE_KEY)).body).toMatchObject({ due: 1, errors: 1 });
  expect(await orderRow(o.order_no)).toMatchObject({ status: 'pending' });
  // the buyer pays now and the notification is lost: the next run's query accepts the payment
  fake.pay.refunds.payWithoutNotification(o.order_no);
  expect((await call('order-expiry', {}, SERVICE_ROLE_KEY)).body).toMatchObject({ due: 1, paid: 1 });
  expect(await orderRow(o.order_no)).toMatchObject({ status: 'paid' });
});

test('the local timer runs the scheduled jobs due this minute: order-expiry reached through the gateway as the service role', async () => {
  const { data } = await client(alice).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: rice, quantity: 1 }] } });
  const o = data as any;
  expect((await call('pay-order', { order_id: o.order_id }, alice)).status).toBe(200);
  await db.query(`update rebate.payment_requests set time_expire = now() - interval '1 minute' where order_id = $1`, [o.order_id]);
  const logged: string[] = [];
  const timer = await startScheduleTimer({ dbUrl: db.url, apiUrl: gw.url, serviceRoleKey: SERVICE_ROLE_KEY, log: (l) => logged.push(l), clock: false });
  try {
    const ran = await timer.runDue(new Date());
    expect(ran).toEqual(expect.arrayContaining(['rebate-order-expiry', 'rebate-refund-query', 'rebate-settle-pending']));
    expect(logged.filter((l) => /rebate-(order-expiry|refund-query)/.test(l))).toEqual([]);
  } finally {
    await timer.stop();
  }
  expect(fake.pay.trade(o.order_no)?.trade_state).toBe('CLOSED');
  expect(await orderRow(o.order_no)).toMatchObject({ status: 'cancelled' });
});

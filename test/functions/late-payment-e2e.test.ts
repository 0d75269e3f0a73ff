// A payment that arrives for an order we already cancelled (SPEC §16, "nothing is ever lost"),
// end to end against the fake WeChat Pay: the close/pay race after the expiry job cancelled an
// order, duplicated notifications, and the member cancelling with the payment sheet open while
// the notification is lost (the order-expiry job finds SUCCESS). The late payment is recorded
// once, refunded in full through the WeChat refund path (refund-query sends the same
// out_refund_no), shown to finance (退款售后) and to the member (a message); reconcile() is clean
// after every scenario, and a late payment is never kept.
import { createClient } from '@supabase/supabase-js';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e0000000late';
const SECRET = 'e2e-wechat-secret';

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;
let notifyUrl: string;
let rice: number;
let alice: string; // tokens
let finance: string;
let aliceId: string;

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
  [{ id: rice }] = await db.query(`insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, listed)
                                   values ('LP-RICE', 'self', '五常大米 5kg', 10000, true, true) returning id::int`);
  alice = await login('oAlice_late_01');
  finance = await login('oFinance_late_01');
  await db.query(`insert into rebate.staff_roles (member_id, role) select id, 'finance' from rebate.members where openid = 'oFinance_late_01'`);
  [{ id: aliceId }] = await db.query(`select id from rebate.members where openid = 'oAlice_late_01'`);
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

/** A pending order of alice's, sent to WeChat Pay (pay-order), with 300 points deducted. */
async function prepaidOrder() {
  expect((await client(finance).rpc('console_adjust_balance',
    { p_member_id: aliceId, p_asset: 'points', p_delta: 300, p_reason: '测试积分' })).error).toBeNull();
  const { data, error } = await client(alice).rpc('create_order', {
    p_order: { channel: 'mall', lines: [{ product_id: rice, quantity: 1 }], points_fen: 300 },
  });
  expect(error).toBeNull();
  const order = data as { order_id: number; order_no: string; pay_fen: number };
  expect(order.pay_fen).toBe(9700);
  expect((await call('pay-order', { order_id: order.order_id }, alice)).status).toBe(200);
  return order;
}

/** WeChat's TRANSACTION.SUCCESS for a trade the fake has as paid (signed, encrypted), posted once. */
const paidResources = new Map<string, Record<string, any>>();
async function notifyPaid(orderNo: string) {
  if (!paidResources.has(orderNo)) {
    const { prepay_ids: _p, refunds: _r, ...resource } = fake.pay.trade(orderNo)!;
    expect(resource.trade_state).toBe('SUCCESS');
    paidResources.set(orderNo, resource); // as WeChat sent it when the buyer paid
  }
  return fake.sendNotification(notifyUrl, { resource: paidResources.get(orderNo) });
}

const orderRow = async (no: string) => (await db.query(
  `select status, payment_ref, pay_fen::int, refunded_fen::int from rebate.orders where order_no = $1`, [no]))[0];
const lateRows = async (no: string) => db.query(
  `select l.transaction_id, l.paid_fen::int, l.status from rebate.late_payments l join rebate.orders o on o.id = l.order_id
    where o.order_no = $1`, [no]);
const refundRows = async (no: string) => db.query(
  `select w.out_refund_no, w.status, w.refund_fen::int, w.total_fen::int, w.late_payment_id is not null as late, w.refund_id
     from rebate.wechat_refunds w join rebate.orders o on o.id = w.order_id where o.order_no = $1 order by w.id`, [no]);
const messages = async (no: string) => db.query(
  `select m.kind, m.title, m.body, m.amount_fen::int from rebate.messages m join rebate.orders o on o.id = m.order_id
    where o.order_no = $1 and m.member_id = $2 order by m.id`, [no, aliceId]);
const points = async () => (await db.query(`select points::int from rebate.wallets where member_id = $1`, [aliceId]))[0].points;

/** Everything a late payment could change, as text. */
async function state(): Promise<string> {
  const tables = ['orders', 'order_lines', 'entries', 'refunds', 'wechat_refunds', 'late_payments', 'payment_requests',
                  'wallets', 'ledger', 'messages', 'audit_log'];
  const parts: string[] = [];
  for (const t of tables) {
    const [row] = await db.query(`select coalesce(jsonb_agg(to_jsonb(x) - 'updated_at' - 'next_attempt_at' order by to_jsonb(x)::text), '[]')::text as j from rebate.${t} x`);
    parts.push(`${t}: ${row.j}`);
  }
  return parts.join('\n');
}

/** The refund-query job, every open refund due now. */
async function refundJob() {
  await db.query(`update rebate.wechat_refunds set next_attempt_at = now() where status in ('created', 'processing', 'abnormal')`);
  const r = await call('refund-query', {}, SERVICE_ROLE_KEY);
  expect(r.status).toBe(200);
  return r.body;
}

const expiryJob = async () => {
  const r = await call('order-expiry', {}, SERVICE_ROLE_KEY);
  expect(r.status).toBe(200);
  return r.body;
};

// ------------------------------------------------------------------ scenarios
test('the expiry job closed and cancelled the order, the buyer\'s payment raced the close: recorded, refunded in full once, duplicates change nothing', async () => {
  const order = await prepaidOrder();
  const pointsAfterOrder = await points();
  await db.query(`update rebate.payment_requests set time_expire = now() - interval '1 minute' where order_id = $1`, [order.order_id]);
  expect(await expiryJob()).toMatchObject({ due: 1, cancelled: 1, errors: 0 });
  expect(fake.pay.trade(order.order_no)?.trade_state).toBe('CLOSED');
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'cancelled' });
  expect(await points()).toBe(pointsAfterOrder + 300); // the deduction came back with the cancel
  expect(await expiryJob()).toMatchObject({ due: 0 }); // nothing left to close

  // …but the buyer's payment was under way: WeChat took it and reports SUCCESS
  const transactionId = fake.pay.refunds.payWithoutNotification(order.order_no, { racingClose: true });
  const first = await notifyPaid(order.order_no);
  expect(first.status).toBe(204); // recorded: WeChat stops sending
  expect(await orderRow(order.order_no)).toEqual({ status: 'cancelled', payment_ref: null, pay_fen: 9700, refunded_fen: 0 });
  expect(await lateRows(order.order_no)).toEqual([{ transaction_id: transactionId, paid_fen: 9700, status: 'refunding' }]);
  const outRefundNo = `RF${order.order_no}-1`;
  expect(await refundRows(order.order_no)).toEqual([
    { out_refund_no: outRefundNo, status: 'created', refund_fen: 9700, total_fen: 9700, late: true, refund_id: null }]);
  expect(await messages(order.order_no)).toEqual([{ kind: 'late_payment', title: '订单已取消，款项将原路退回',
    body: `订单${order.order_no}已取消，收到的款项¥97.00将原路退回，请留意微信支付退款通知`, amount_fen: 9700 }]);
  expect(await points()).toBe(pointsAfterOrder + 300); // no second return of the deduction

  // duplicated: the same notification again, and two at once
  const after = await state();
  const again = await Promise.all([notifyPaid(order.order_no), notifyPaid(order.order_no), fake.resend({ url: notifyUrl, body: first.sent } as any)]);
  expect(again.map((r) => r.status)).toEqual([204, 204, 204]);
  expect(await state()).toBe(after);

  // finance sees it in 退款售后 → 退款记录
  const listed = await client(finance).rpc('console_list_refunds', { p_order_no: order.order_no });
  expect(listed.error).toBeNull();
  expect(listed.data).toEqual([expect.objectContaining({ out_refund_no: outRefundNo, late_payment: true, kind_label: '取消后到账·全额退回',
    status: 'created', status_label: '待发送', refund_fen: 9700, reason: '订单已取消，款项原路退回' })]);

  // refund-query sends it (the same out_refund_no), WeChat refunds it, its notification finishes it
  expect(await refundJob()).toEqual({ due: 1, processing: 1 });
  expect(fake.pay.refunds.get(outRefundNo)).toMatchObject({ status: 'PROCESSING', amount: { refund: 9700, total: 9700 } });
  const done = await fake.pay.refunds.finish(outRefundNo, 'SUCCESS') as any;
  expect(done.attempts.map((a: any) => a.status)).toEqual([204]);
  expect(await lateRows(order.order_no)).toEqual([{ transaction_id: transactionId, paid_fen: 9700, status: 'refunded' }]);
  expect(await refundRows(order.order_no)).toEqual([
    { out_refund_no: outRefundNo, status: 'success', refund_fen: 9700, total_fen: 9700, late: true, refund_id: null }]);
  expect(await orderRow(order.order_no)).toEqual({ status: 'cancelled', payment_ref: null, pay_fen: 9700, refunded_fen: 0 });
  expect((await messages(order.order_no)).map((m) => [m.kind, m.body])).toEqual([
    ['late_payment', `订单${order.order_no}已取消，收到的款项¥97.00将原路退回，请留意微信支付退款通知`],
    ['refund_done', `订单${order.order_no}已取消，收到的款项¥97.00已原路退回`]]);
  // WeChat refunded the trade exactly once, in full
  expect(fake.pay.trade(order.order_no)!.refunds.map((r: any) => r.amount)).toEqual([9700]);

  // everything repeated afterwards changes nothing: the payment, the refund notification, both jobs
  const final = await state();
  expect((await notifyPaid(order.order_no)).status).toBe(204);
  expect((await fake.resend(done)).status).toBe(204);
  expect(await refundJob()).toEqual({ due: 0 });
  expect(await expiryJob()).toMatchObject({ due: 0 });
  expect(await state()).toBe(final);
  const audit = await db.query(`select action, actor_id, reason from rebate.audit_log where object_id = $1 and action = 'refund.late_payment'`, [order.order_no]);
  expect(audit).toEqual([{ action: 'refund.late_payment', actor_id: null, reason: '订单已取消后收到的付款，全额原路退回' }]);
});

test('the member cancelled with the payment sheet open and paid; the notification is lost: the order-expiry job finds SUCCESS and refunds it', async () => {
  const order = await prepaidOrder();
  const cancelled = await client(alice).rpc('cancel_my_order', { p_order_id: order.order_id });
  expect(cancelled.error).toBeNull();
  const transactionId = fake.pay.refunds.payWithoutNotification(order.order_no); // the trade was still open at WeChat

  expect(await expiryJob()).toEqual({ due: 1, paid: 0, cancelled: 0, waiting: 0, skipped: 0, errors: 0, closed: 0, late_paid: 1 });
  expect(await lateRows(order.order_no)).toEqual([{ transaction_id: transactionId, paid_fen: 9700, status: 'refunding' }]);
  expect(await orderRow(order.order_no)).toMatchObject({ status: 'cancelled', payment_ref: null });
  expect((await messages(order.order_no)).map((m) => m.title)).toEqual(['订单已取消，款项将原路退回']);
  expect(await expiryJob()).toMatchObject({ due: 0 }); // the trade is final at WeChat: nothing to close

  // the lost notification turns up after all: a repeat
  const before = await state();
  expect((await notifyPaid(order.order_no)).status).toBe(204);
  expect(await state()).toBe(before);

  // WeChat answers the refund at once this time, and its notification is lost: the job's query finishes it
  fake.pay.refunds.nextOutcome('SUCCESS');
  expect(await refundJob()).toEqual({ due: 1, success: 1 });
  expect(await lateRows(order.order_no)).toEqual([{ transaction_id: transactionId, paid_fen: 9700, status: 'refunded' }]);
  expect(fake.pay.trade(order.order_no)!.refunds.map((r: any) => r.amount)).toEqual([9700]);
});

test('the member cancelled and did not pay: the order-expiry job closes the trade at WeChat, so it can no longer be paid', async () => {
  const order = await prepaidOrder();
  expect((await client(alice).rpc('cancel_my_order', { p_order_id: order.order_id })).error).toBeNull();
  expect((await db.query(`select close_due_at is not null as due from rebate.payment_requests where order_id = $1`, [order.order_id]))[0].due).toBe(true);
  // WeChat busy: left for the next run
  fake.pay.failNext('GET /v3/pay/transactions/out-trade-no/{no}', 500, 'SYSTEM_ERROR', '系统繁忙');
  for (let i = 0; i < 2; i++) fake.pay.failNext('GET /v3/pay/transactions/out-trade-no/{no}', 500, 'SYSTEM_ERROR', '系统繁忙');
  expect(await expiryJob()).toMatchObject({ due: 1, errors: 1 });
  expect(await expiryJob()).toEqual({ due: 1, paid: 0, cancelled: 0, waiting: 0, skipped: 0, errors: 0, closed: 1, late_paid: 0 });
  expect(fake.pay.trade(order.order_no)?.trade_state).toBe('CLOSED');
  await expect(fake.payOrder(order.order_no)).rejects.toThrow(/CLOSED/);
  expect(await expiryJob()).toMatchObject({ due: 0 });
  expect(await lateRows(order.order_no)).toEqual([]);
  // paying again through pay-order is refused in Chinese
  expect((await call('pay-order', { order_id: order.order_id }, alice)).body.code).toBe('order_not_pending');
});

test('WeChat closes a late payment\'s refund: reconcile shows the payment kept until finance starts it again (new out_refund_no)', async () => {
  const order = await prepaidOrder();
  expect((await client(alice).rpc('cancel_my_order', { p_order_id: order.order_id })).error).toBeNull();
  fake.pay.refunds.payWithoutNotification(order.order_no);
  expect((await notifyPaid(order.order_no)).status).toBe(204);
  expect(await refundJob()).toEqual({ due: 1, processing: 1 });
  await fake.pay.refunds.finish(`RF${order.order_no}-1`, 'CLOSED');
  expect((await refundRows(order.order_no)).map((r) => r.status)).toEqual(['closed']);
  expect((await db.query(`select check_name, subject from public.reconcile()`)))
    .toEqual([{ check_name: 'late_payment_kept', subject: String(order.order_id) }]);
  const [view] = (await client(finance).rpc('console_list_refunds', { p_order_no: order.order_no })).data as any[];
  expect(view.advice).toContain('重新发起');

  // 重新发起 through refund-start: a new out_refund_no for the whole payment
  const again = await call('refund-start', { retry: `RF${order.order_no}-1` }, finance);
  expect(again.status).toBe(200);
  expect(again.body.refund).toMatchObject({ out_refund_no: `RF${order.order_no}-2`, status: 'processing', refund_fen: 9700,
                                            late_payment: true, retry_of: expect.any(Number) });
  expect((await call('refund-start', { retry: `RF${order.order_no}-1` }, finance)).body.code).toBe('refund_not_retryable');
  await fake.pay.refunds.finish(`RF${order.order_no}-2`, 'SUCCESS');
  expect((await lateRows(order.order_no))[0].status).toBe('refunded');
  expect((await refundRows(order.order_no)).map((r) => r.status)).toEqual(['closed', 'success']);
  const audit = await db.query(`select count(*)::int as n from rebate.audit_log where object_id = $1 and action = 'refund.late_payment'`, [order.order_no]);
  expect(audit[0].n).toBe(2);
});

test('a late notification with another amount, or a second transaction for the same cancelled order, is refused and changes nothing', async () => {
  const order = await prepaidOrder();
  expect((await client(alice).rpc('cancel_my_order', { p_order_id: order.order_id })).error).toBeNull();
  fake.pay.refunds.payWithoutNotification(order.order_no);
  const { prepay_ids: _p, refunds: _r, ...resource } = fake.pay.trade(order.order_no)!;
  const before = await state();
  const wrong = await fake.sendNotification(notifyUrl, { resource: { ...resource, amount: { ...resource.amount, total: 1 } } });
  expect([wrong.status, JSON.parse(wrong.body)]).toEqual([400, { code: 'FAIL', message: '支付金额与订单不符' }]);
  expect(await state()).toBe(before);
  expect((await notifyPaid(order.order_no)).status).toBe(204);
  const recorded = await state();
  const other = await fake.sendNotification(notifyUrl, { resource: { ...resource, transaction_id: '4200000000000000000000000001' } });
  expect([other.status, JSON.parse(other.body)]).toEqual([400, { code: 'FAIL', message: '订单已支付' }]);
  expect(await state()).toBe(recorded);
  // refunded, so the books close
  fake.pay.refunds.nextOutcome('SUCCESS');
  expect(await refundJob()).toEqual({ due: 1, success: 1 });
});

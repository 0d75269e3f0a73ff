// Statements (对账) end to end: payments and refunds through pay-order / the fake WeChat Pay /
// pay-notify, then the statement-download job (real Deno) downloads the fake's trade bill of the
// day (signed request, SHA1 checked, backtick fields parsed) and record_statement compares it with
// our books. A clean day has no differences; each kind of difference is stored once, re-running
// the day never duplicates, finance resolves them with a reason (audited); reconcile() reports
// open differences and is clean once they are resolved.
import { createClient } from '@supabase/supabase-js';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { type HeldNotification, type SentNotification, startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e000statement';
const SECRET = 'e2e-wechat-secret';
const DAY_MS = 86400_000;

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;
let productId: number;
let buyer: string;
let finance: string;

const shanghaiDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
const yesterday = () => shanghaiDay(Date.now() - DAY_MS);

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  fake = await startWechatFake({ appid: APPID, secret: SECRET, pay: { notifyRetryDelaysMs: [100] } });
  const port = await freePort();
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  fns = await startFunctions({
    port, quiet: true,
    env: {
      SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET, WECHAT_API_BASE: fake.url, WECHAT_APPID: APPID,
      WECHAT_SECRET: SECRET, REBATE_LOCAL_DEV: undefined, ...fake.pay.env(`${gw.url}/functions/v1/pay-notify`),
    },
  });
  await db.query(`update rebate.settings set enabled = true, merchant_queue = true, default_reward_bps = 10000, extraction_bps = 1000 where id = 1`);
  [{ id: productId }] = await db.query(`insert into rebate.products (sku, kind, name, price_fen, rebate_enabled, listed)
                                        values ('BILL-TEA', 'self', '对账茶 100g', 1234, true, true) returning id::int`);
  buyer = await login('oBuyer_statement_1');
  finance = await login('oFinance_statement_1');
  const [{ id }] = await db.query(`select id from rebate.members where openid = 'oFinance_statement_1'`);
  await db.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'finance')`, [id]);
}, 90_000);

afterAll(async () => {
  await fns?.stop();
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

async function login(openid: string): Promise<string> {
  const res = await fetch(`${gw.url}/functions/v1/wechat-login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${ANON_KEY}` },
    body: JSON.stringify({ code: fake.issueCode(openid) }),
  });
  return (await res.json()).access_token;
}

const client = (token: string) => createClient(gw.url, ANON_KEY, {
  accessToken: async () => token,
  realtime: { transport: class { constructor() { throw new Error('no realtime'); } } as any },
});

async function call(name: string, token: string, body: unknown) {
  const res = await fetch(`${gw.url}/functions/v1/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) as any };
}

/** An order of the buyer, prepaid at the fake (not paid yet). */
async function prepaid(quantity = 1): Promise<{ order_id: number; order_no: string; pay_fen: number }> {
  const { data, error } = await client(buyer).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: productId, quantity }] } });
  expect(error).toBeNull();
  const order = data as any;
  expect((await call('pay-order', buyer, { order_id: order.order_id })).status).toBe(200);
  return order;
}
async function paid(quantity = 1) {
  const order = await prepaid(quantity);
  expect((await fake.payOrder(order.order_no)).attempts[0].status).toBe(204);
  return order;
}
/** Moves everything that happened so far to yesterday, here and at the fake. */
async function toYesterday() {
  fake.payouts.backdate(DAY_MS);
  await db.query(`update rebate.orders set paid_at = paid_at - interval '1 day', created_at = created_at - interval '1 day' where paid_at > now() - interval '1 hour'`);
  await db.query(`update rebate.refunds set created_at = created_at - interval '1 day' where created_at > now() - interval '1 hour'`);
  await db.query(`update rebate.late_payments set received_at = received_at - interval '1 day' where received_at > now() - interval '1 hour'`);
  await db.query(`update rebate.wechat_refunds set finished_at = finished_at - interval '1 day' where finished_at > now() - interval '1 hour'`);
}
const runStatement = (billDate?: string) => call('statement-download', SERVICE_ROLE_KEY, billDate ? { bill_date: billDate } : {});
const differences = async (status = 'open') =>
  ((await client(finance).rpc('admin_list_statement_differences', { p_status: status, p_limit: 100 })).data as any[]);
const reconcile = () => db.query(`select check_name, subject from public.reconcile()`);

test('a clean day: payments and a refund through WeChat Pay, the bill matches our books', async () => {
  const a = await paid(1);
  const b = await paid(2);
  const r = await fake.refund(b.order_no, {}); // REFUND.SUCCESS → pay-notify → refund_order
  expect(r.attempts[0].status).toBe(204);
  await toYesterday();
  const day = yesterday();
  const text = fake.payouts.billText(day)!;
  expect(text.split('\r\n')[1]).toMatch(/^`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},`wx00e2e000statement,`/);
  const res = await runStatement();
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ bill_date: day, lines: 3, pay_count: 2, pay_fen: a.pay_fen + b.pay_fen, refund_count: 1,
    differences: 0, open: 0 });
  expect(await reconcile()).toEqual([]);
  // again: idempotent
  expect((await runStatement(day)).body).toMatchObject({ lines: 3, differences: 0 });
  expect((await db.query(`select runs from rebate.statements where bill_date = $1`, [day]))[0].runs).toBe(2);
  const list = (await client(finance).rpc('admin_list_statements', {})).data as any[];
  expect(list[0]).toMatchObject({ bill_date: day, pay_count: 2, refund_count: 1, open: 0 });
});

test('each kind of difference is stored once, re-running never duplicates, finance resolves them (audited)', async () => {
  // amount mismatch: WeChat's bill shows another amount
  const amount = await paid(1);
  fake.payouts.overrideBill(amount.order_no, { amount: 1 });
  // state mismatch: paid at WeChat, still pending here (the notification was lost, the expiry job has not run)
  // (a payment for an order we had cancelled is a late payment, no difference: see the late payments test)
  const cancelled = await prepaid(1);
  fake.pay.refunds.payWithoutNotification(cancelled.order_no);
  // missing here: a payment WeChat has that we never saw
  // missing there: a payment and a refund we booked that WeChat never had
  const { data: manual } = await client(buyer).rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id: productId, quantity: 1 }] } });
  await db.query(`select public.mark_order_paid($1, 'MANUAL-PAY-1', $2)`, [(manual as any).order_no, (manual as any).pay_fen]);
  const refunded = await paid(1);
  await db.query(`select public.refund_order($1, 'MANUAL-REFUND-1')`, [refunded.order_no]);
  await toYesterday();
  const day = yesterday();
  fake.payouts.addBillPayment(day, { outTradeNo: 'FOREIGN000001', amountFen: 500 });

  const res = await runStatement();
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ differences: 5, open: 5 });
  const open = await differences();
  const kinds = open.map((d) => `${d.subject}:${d.kind}:${d.ref}`).sort();
  expect(kinds).toEqual([
    `payment:amount_mismatch:${amount.order_no}`,
    `payment:missing_here:FOREIGN000001`,
    `payment:missing_there:${(manual as any).order_no}`,
    `payment:state_mismatch:${cancelled.order_no}`,
    'refund:missing_there:MANUAL-REFUND-1',
  ].sort());
  expect(open.find((d) => d.kind === 'amount_mismatch')).toMatchObject({ our_fen: 1234, their_fen: 1, kind_label: '金额不一致', subject_label: '支付' });
  expect(open.find((d) => d.kind === 'state_mismatch')).toMatchObject({ our_state: 'pending', their_state: 'SUCCESS' });
  expect((await reconcile()).filter((f: any) => f.check_name === 'statement_difference_open')).toHaveLength(5);

  // re-running the day updates, never duplicates
  const ids = open.map((d) => d.difference_id).sort();
  expect((await runStatement(day)).body).toMatchObject({ differences: 5, open: 5 });
  expect((await differences()).map((d) => d.difference_id).sort()).toEqual(ids);
  // a difference that no longer holds disappears on the re-run (the amount is right again)
  fake.payouts.overrideBill(amount.order_no, {});
  expect((await runStatement(day)).body).toMatchObject({ differences: 4, open: 4 });

  // finance resolves each with a reason; a resolved one stays resolved when the day runs again
  const { error: noReason } = await client(finance).rpc('admin_resolve_statement_difference', { p_difference_id: ids[0], p_reason: ' ' });
  expect(noReason?.message).toBe('invalid_reason');
  const { error: notFinance } = await client(buyer).rpc('admin_resolve_statement_difference', { p_difference_id: ids[0], p_reason: 'x' });
  expect(notFinance?.message).toBe('forbidden_role');
  for (const d of await differences()) {
    const { data, error } = await client(finance).rpc('admin_resolve_statement_difference', { p_difference_id: d.difference_id, p_reason: '已核实：' + d.kind_label });
    expect(error).toBeNull();
    expect(data).toMatchObject({ status: 'resolved', resolve_reason: '已核实：' + d.kind_label });
  }
  const { error: twice } = await client(finance).rpc('admin_resolve_statement_difference', { p_difference_id: ids[1], p_reason: 'again' });
  expect(twice?.message).toBe('difference_not_open');
  expect((await runStatement(day)).body).toMatchObject({ open: 0 });
  expect(await differences('resolved')).toHaveLength(4);
  const audit = await db.query(`select count(*)::int as n from rebate.audit_log where action = 'statement.resolve'`);
  expect(audit[0].n).toBe(4);
  expect(await reconcile()).toEqual([]);
});

test('late payments (paid at WeChat after we cancelled, refunded in full) match the bill\'s SUCCESS and REFUND lines; differences only where they disagree', async () => {
  fake.pay.refunds.mode = 'manual';
  const latePaid = async () => {
    const order = await prepaid(1);
    await db.query(`select public.cancel_order($1)`, [order.order_no]);
    expect((await fake.payOrder(order.order_no)).attempts[0].status).toBe(204); // recorded as a late payment
    return order;
  };
  const agree = await latePaid();        // both lines as we booked them
  const otherAmount = await latePaid();  // the bill shows another amount for the payment
  const notFinished = await latePaid();  // WeChat refunded it, our refund still waits for its answer
  const lateRefund = async (no: string) => (await db.query(
    `select w.out_refund_no, w.status, w.refund_fen::int from rebate.wechat_refunds w join rebate.late_payments l on l.id = w.late_payment_id
       join rebate.orders o on o.id = l.order_id where o.order_no = $1`, [no]))[0];
  expect(await lateRefund(agree.order_no)).toMatchObject({ status: 'created', refund_fen: agree.pay_fen });
  // the refund job sends the three full refunds (PROCESSING at WeChat)
  expect((await call('refund-query', SERVICE_ROLE_KEY, {})).body).toMatchObject({ processing: 3 });
  for (const o of [agree, otherAmount]) {
    const n = await fake.pay.refunds.finish((await lateRefund(o.order_no)).out_refund_no, 'SUCCESS') as SentNotification;
    expect(n.attempts[0].status).toBe(204);
    expect(await lateRefund(o.order_no)).toMatchObject({ status: 'success' });
  }
  const held = await fake.pay.refunds.finish((await lateRefund(notFinished.order_no)).out_refund_no, 'SUCCESS', { notify: 'hold' }) as HeldNotification;
  fake.pay.refunds.mode = 'auto';
  fake.payouts.overrideBill(otherAmount.order_no, { amount: 1200 });
  await toYesterday();
  const day = yesterday();
  expect(fake.payouts.billText(day)).toContain((await lateRefund(agree.order_no)).out_refund_no);

  expect((await runStatement(day)).status).toBe(200);
  const mine = async () => (await differences())
    .filter((d) => [agree, otherAmount, notFinished].some((o) => o.order_no === d.out_trade_no))
    .map((d) => ({ subject: d.subject, kind: d.kind, out_trade_no: d.out_trade_no, our_fen: d.our_fen, their_fen: d.their_fen,
                   our_state: d.our_state, their_state: d.their_state }));
  expect(await mine()).toEqual(expect.arrayContaining([
    { subject: 'payment', kind: 'amount_mismatch', out_trade_no: otherAmount.order_no, our_fen: otherAmount.pay_fen, their_fen: 1200,
      our_state: 'late_payment', their_state: 'SUCCESS' },
    { subject: 'refund', kind: 'state_mismatch', out_trade_no: notFinished.order_no, our_fen: notFinished.pay_fen,
      their_fen: notFinished.pay_fen, our_state: 'PROCESSING', their_state: 'SUCCESS' },
  ]));
  expect(await mine()).toHaveLength(2); // the agreeing late payment and its refund: no difference

  // WeChat's held answer arrives: our refund succeeds, and the day downloaded again agrees
  expect((await fake.pay.refunds.send(held)).attempts[0].status).toBe(204);
  expect(await lateRefund(notFinished.order_no)).toMatchObject({ status: 'success' });
  await db.query(`update rebate.wechat_refunds set finished_at = finished_at - interval '1 day' where finished_at > now() - interval '1 hour'`);
  fake.payouts.overrideBill(otherAmount.order_no, {});
  expect((await runStatement(day)).status).toBe(200);
  expect(await mine()).toEqual([]);
  // a late payment we recorded that WeChat's bill does not have: missing there
  const ghost = await prepaid(1);
  await db.query(`select public.cancel_order($1)`, [ghost.order_no]);
  const [{ id: ghostOrder }] = await db.query(`select id from rebate.orders where order_no = $1`, [ghost.order_no]);
  const [{ id: lateId }] = await db.query(
    `insert into rebate.late_payments (order_id, transaction_id, paid_fen, received_at) values ($1, 'GHOST-LATE-1', $2, now() - interval '1 day')
     returning id`, [ghostOrder, ghost.pay_fen]);
  expect(lateId).toBeDefined();
  expect((await runStatement(day)).status).toBe(200);
  expect((await differences()).filter((d) => d.out_trade_no === ghost.order_no).map((d) => `${d.subject}:${d.kind}:${d.our_state}`))
    .toEqual(['payment:missing_there:late_payment']);
  await db.query(`delete from rebate.late_payments where id = $1`, [lateId]);
  expect((await runStatement(day)).status).toBe(200);
  expect((await differences()).filter((d) => d.out_trade_no === ghost.order_no)).toEqual([]);
  expect(await reconcile()).toEqual([]);
});

test('a payment just before midnight on the next day\'s bill: missing there until that day is downloaded', async () => {
  const late = await paid(1);
  await toYesterday();
  const day = yesterday();
  // WeChat put it on "today" (the bill of the next day), our books on yesterday
  fake.payouts.overrideBill(late.order_no, { successTimeMs: Date.now() - 60_000 });
  expect((await runStatement(day)).body.open).toBeGreaterThanOrEqual(1);
  expect((await differences()).some((d) => d.ref === late.order_no && d.kind === 'missing_there')).toBe(true);
  // a day later the fake's "today" is yesterday: move the trade and download that day
  fake.payouts.overrideBill(late.order_no, { successTimeMs: Date.now() - DAY_MS + 60_000 });
  const res = await call('statement-download', SERVICE_ROLE_KEY, { bill_date: day });
  expect(res.status).toBe(200);
  expect((await differences()).some((d) => d.ref === late.order_no)).toBe(false);
  expect(await reconcile()).toEqual([]);
});

test('a tampered download, a bill not ready yet, a day without trades, and callers other than the clock', async () => {
  await paid(1);
  await toYesterday();
  const day = yesterday();
  const runs = async () => (await db.query(`select runs from rebate.statements where bill_date = $1`, [day]))[0]?.runs ?? 0;
  const before = await runs();
  fake.payouts.tamperBill(day, (t) => t.replace(/`12\.34,/g, '`1.34,'));
  expect(await runStatement(day)).toMatchObject({ status: 502, body: { code: 'statement_hash_mismatch' } });
  expect(await runs()).toBe(before);
  fake.payouts.tamperBill(day, (t) => t);
  expect(await runStatement(shanghaiDay(Date.now()))).toMatchObject({ status: 503, body: { code: 'statement_not_ready' } });
  fake.pay.failNext('GET /v3/bill/tradebill', 500, 'SYSTEM_ERROR', '系统错误');
  expect(await runStatement(day)).toMatchObject({ status: 502, body: { code: 'statement_unavailable' } });
  const quiet = shanghaiDay(Date.now() - 20 * DAY_MS);
  expect((await runStatement(quiet)).body).toMatchObject({ bill_date: quiet, lines: 0, differences: 0 });
  expect(await call('statement-download', buyer, {})).toMatchObject({ status: 401, body: { code: 'job_forbidden' } });
  expect(await call('statement-download', finance, {})).toMatchObject({ status: 401 });
  // the day itself still reconciles (differences of the earlier tests are resolved or gone)
  expect((await runStatement(day)).status).toBe(200);
  for (const d of await differences()) {
    await client(finance).rpc('admin_resolve_statement_difference', { p_difference_id: d.difference_id, p_reason: '测试清理' });
  }
  expect(await reconcile()).toEqual([]);
});

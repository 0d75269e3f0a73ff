// `npm run soak`: SOAK_ORDERS (100,000) orders at SOAK_CONNS (32) connections through the HTTP
// path — create_order as the member through the gateway, paid through the dev-pay edge function
// (real Deno) which calls mark_order_paid through the gateway — with lotteries, exchanges,
// refunds, withdrawals (requested, approved or rejected), points transfers and clearings mixed
// in, and the money flows through WeChat Pay at the database level (the same RPCs the edge
// functions call, through the gateway): refunds started as finance (console_start_refund) and
// finished by WeChat's answers (record_wechat_refund: PROCESSING, then SUCCESS, sometimes CLOSED
// and started again, sometimes twice), late payments (an order the member cancelled, then paid:
// accept_payment records it and its full refund), withdrawals paid by merchant transfer
// (admin_approve_withdrawal_transfer, record_transfer_result ACCEPTED then SUCCESS or FAIL). Then a
// union phase (SOAK_UNION_ORDERS, default a tenth of SOAK_ORDERS) in its own database behind a
// second gateway: orders paid as pay-notify pays them (accept_payment), accelerations through a
// referral tree, and the daily payout run again and again on a simulated day. At the end
// reconcile() must be clean in both and no settlement parked; the gateway's and the
// functions host's memory (RSS) are sampled every SOAK_SAMPLE_MS and printed as a curve, and
// the run fails if the last quarter's average exceeds the second quarter's by more than 25%.
// Everything runs on its own embedded Postgres (durable settings) in .local/soak-pg.
import fs from 'node:fs';
import path from 'node:path';
import { fork } from 'node:child_process';
import env from '../../supabase/local/env.cjs';
import gatewayModule from '../../supabase/local/gateway.cjs';
import functionsModule from '../../supabase/local/functions.cjs';
import { ROOT } from '../../supabase/local/env.mjs';
import { startPostgres } from '../../supabase/local/postgres.mjs';
import { cloneDatabase, fixtureIds, prepareTemplate, query } from '../bench/server.mjs';
import { switchToUnion } from '../bench/union.mjs';

const { signJwt } = gatewayModule;
const { startFunctions } = functionsModule;
const ORDERS = Number(process.env.SOAK_ORDERS ?? 100000);
const CONNS = Number(process.env.SOAK_CONNS ?? 32);
const SAMPLE_MS = Number(process.env.SOAK_SAMPLE_MS ?? 5000);
const PORT = Number(process.env.SOAK_PG_PORT ?? 54380);
const DATA_DIR = process.env.SOAK_PG_DIR ?? path.join(ROOT, '.local/soak-pg');
const GATEWAY_PORT = Number(process.env.SOAK_GATEWAY_PORT ?? 54381);
const FUNCTIONS_PORT = Number(process.env.SOAK_FUNCTIONS_PORT ?? 54382);
const UNION_GATEWAY_PORT = Number(process.env.SOAK_UNION_GATEWAY_PORT ?? 54383);
const UNION_ORDERS = Number(process.env.SOAK_UNION_ORDERS ?? Math.round(ORDERS / 10));

const t0 = Date.now();
const log = (m) => console.log(`[soak ${String(Math.round((Date.now() - t0) / 1000)).padStart(5)} s] ${m}`);
const rand = (n) => Math.floor(Math.random() * n);

// ------------------------------------------------------------------ processes and memory

function startGateway(dbUrl, port = GATEWAY_PORT) {
  const child = fork(path.join(ROOT, 'test/bench/gateway-child.cjs'), [], {
    env: { ...process.env, BENCH_GATEWAY_DB: env.authenticatorUrl(dbUrl), BENCH_GATEWAY_POOL: String(CONNS),
      BENCH_GATEWAY_PORT: String(port), BENCH_GATEWAY_FUNCTIONS: `http://127.0.0.1:${FUNCTIONS_PORT}` },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    child.once('message', (m) => (m.error ? reject(new Error(m.error)) : resolve({ url: m.url, pid: child.pid, child })));
  });
}

/** Resident memory of a process and its descendants, in MB. */
function rssMb(rootPid) {
  const parents = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parents.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const tree = [rootPid];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  let kb = 0;
  for (const pid of tree) {
    try { kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]); } catch { /* gone */ }
  }
  return Math.round(kb / 1024);
}

// ------------------------------------------------------------------ HTTP calls

let gatewayUrl;
let functionsUrl;
const counts = {};
const count = (k) => { counts[k] = (counts[k] ?? 0) + 1; };

async function rpc(token, fn, args, { apikey = env.ANON_KEY, base = gatewayUrl } = {}) {
  const res = await fetch(`${base}/rest/v1/rpc/${fn}`, {
    method: 'POST',
    headers: { apikey, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(args),
  });
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (res.status >= 500) throw new Error(`${fn}: HTTP ${res.status} ${text.slice(0, 200)}`);
  if (res.status >= 400) { count(`refused ${fn}: ${body?.message ?? body?.code}`); return null; }
  return body;
}

async function devPay(token, orderId) {
  const res = await fetch(`${functionsUrl}/functions/v1/dev-pay`, {
    method: 'POST',
    headers: { apikey: env.ANON_KEY, Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ order_id: orderId }),
  });
  const text = await res.text();
  if (res.status >= 500) throw new Error(`dev-pay: HTTP ${res.status} ${text.slice(0, 200)}`);
  if (res.status >= 400) { count(`refused dev-pay: ${text.slice(0, 60)}`); return null; }
  return JSON.parse(text);
}

// ------------------------------------------------------------------ the mix

let made = 0;
let clearings = 0;

async function oneOrder(w) {
  const m = w.members[rand(w.members.length)];
  const product = w.products[rand(w.products.length)];
  const usePoints = rand(10) === 0;
  const order = await rpc(m.token, 'create_order', { p_order: { channel: 'mall', lines: [{ product_id: product, quantity: 1 + rand(2) }], ...(usePoints ? { points_fen: 10 } : {}) } });
  if (!order) return;
  count('orders created');
  const paid = await devPay(m.token, order.order_id);
  if (!paid) return;
  count('orders paid');
  const entryId = paid.lines?.[0]?.entry_id;
  const roll = rand(100);
  if (entryId && roll < 20) {
    if (await rpc(m.token, 'draw_lottery', { p_entry_id: entryId })) count('lotteries drawn');
  } else if (entryId && roll < 25) {
    if (await rpc(m.token, 'exchange_entry', { p_entry_id: entryId, p_target: 'points' })) count('entries exchanged');
  } else if (roll < 27) {
    if (await rpc(w.serviceToken, 'refund_order', { p_order_no: paid.order_no, p_refund_ref: `soak-refund-${paid.order_no}` }, { apikey: env.SERVICE_ROLE_KEY })) count('orders refunded');
  } else if (roll < 29) {
    await wechatRefund(w, paid.order_no);
  } else if (roll < 30) {
    await transferWithdrawal(w, m);
  } else if (roll < 31) {
    await latePayment(w, m);
  } else if (roll < 32) {
    const wd = await rpc(m.token, 'request_withdrawal', { p_asset: 'cash', p_amount_fen: 100 });
    if (wd) {
      count('withdrawals requested');
      const approve = rand(2) === 0;
      const decided = approve
        ? await rpc(w.adminToken, 'admin_approve_withdrawal', { p_withdrawal_id: wd.withdrawal_id, p_payout_ref: `soak-${wd.withdrawal_id}` })
        : await rpc(w.adminToken, 'admin_reject_withdrawal', { p_withdrawal_id: wd.withdrawal_id, p_reason: '测试驳回' });
      if (decided) count(approve ? 'withdrawals approved' : 'withdrawals rejected');
    }
  } else if (roll < 34) {
    const to = w.members[rand(w.members.length)];
    if (to !== m && await rpc(m.token, 'transfer_points', { p_to_member_code: to.code, p_points: 1 + rand(20) })) count('points transfers');
  }
}

const svc = (w, fn, args, base) => rpc(w.serviceToken, fn, args, { apikey: env.SERVICE_ROLE_KEY, base });

/** WeChat's word about a refund (answer, notification, query) as record_wechat_refund gets it. */
const refundWord = (w, orderNo, r, status) => svc(w, 'record_wechat_refund', {
  p_out_trade_no: orderNo, p_out_refund_no: r.out_refund_no, p_status: status,
  p_wechat_refund_id: status === 'CLOSED' ? null : `wx-${r.out_refund_no}`, p_refund_fen: r.refund_fen, p_total_fen: r.total_fen });

/** Finance refunds the order through WeChat Pay (refund-start's RPC), WeChat answers PROCESSING, then SUCCESS (or CLOSED: started again). */
async function wechatRefund(w, orderNo) {
  let r = await rpc(w.adminToken, 'console_start_refund', { p_order_no: orderNo, p_line_nos: null, p_reason: '压测退款' });
  if (!r) return;
  count('wechat refunds started');
  if (r.status === 'success') { count('wechat refunds done at once (¥0)'); return; }
  if (!await refundWord(w, orderNo, r, 'PROCESSING')) return;
  if (rand(10) === 0) {
    if (!await refundWord(w, orderNo, r, 'CLOSED')) return;
    count('wechat refunds closed');
    r = await rpc(w.adminToken, 'console_retry_refund', { p_out_refund_no: r.out_refund_no });
    if (!r || r.status === 'success') return;
  }
  if (await refundWord(w, orderNo, r, 'SUCCESS')) count('wechat refunds succeeded');
  if (rand(5) === 0 && await refundWord(w, orderNo, r, 'SUCCESS')) count('wechat refund notifications repeated');
}

/** A withdrawal paid by merchant transfer: approved by finance, ACCEPTED, then SUCCESS or FAIL (the money comes back). */
async function transferWithdrawal(w, m) {
  const wd = await rpc(m.token, 'request_withdrawal', { p_asset: 'cash', p_amount_fen: 100 + rand(900) });
  if (!wd) return;
  const t = await rpc(w.adminToken, 'admin_approve_withdrawal_transfer', { p_withdrawal_id: wd.withdrawal_id });
  if (!t) return;
  count('transfers approved');
  const word = (state, source) => svc(w, 'record_transfer_result', { p_out_bill_no: t.out_bill_no, p_state: state,
    p_transfer_bill_no: `bill-${t.out_bill_no}`, p_fail_reason: state === 'FAIL' ? 'ACCOUNT_FROZEN' : null, p_amount_fen: wd.net_fen, p_source: source });
  if (!await word('ACCEPTED', 'create')) return;
  const final = rand(4) === 0 ? 'FAIL' : 'SUCCESS';
  if (await word(final, 'notify')) count(final === 'FAIL' ? 'transfers failed (returned)' : 'transfers paid');
  if (rand(5) === 0) await word(final, 'query');
}

/** The member cancels an order and pays it all the same: a late payment, refunded in full. */
async function latePayment(w, m) {
  const order = await rpc(m.token, 'create_order', { p_order: { channel: 'mall', lines: [{ product_id: w.products[rand(w.products.length)], quantity: 1 }] } });
  if (!order || !await rpc(m.token, 'cancel_my_order', { p_order_id: order.order_id })) return;
  const late = await svc(w, 'accept_payment', { p_order_no: order.order_no, p_payment_ref: `late-${order.order_no}`, p_paid_fen: order.pay_fen });
  if (!late?.late_payment) return;
  count('late payments');
  const r = { out_refund_no: late.late_payment.out_refund_no, refund_fen: order.pay_fen, total_fen: order.pay_fen };
  if (await refundWord(w, order.order_no, r, 'SUCCESS')) count('late payments refunded');
}

// ------------------------------------------------------------------ the union phase

let unionMade = 0;
let dayOffset = -20000;
async function unionWorker(w) {
  while (unionMade < UNION_ORDERS) {
    unionMade += 1;
    const m = w.members[rand(w.members.length)];
    const order = await rpc(m.token, 'create_order', { p_order: { channel: 'mall', lines: [{ product_id: w.products[rand(w.products.length)], quantity: 1 }] } }, { base: w.base });
    if (!order) continue;
    const paid = await svc(w, 'accept_payment', { p_order_no: order.order_no, p_payment_ref: `pay-${order.order_no}`, p_paid_fen: order.pay_fen }, w.base);
    if (paid) count('union orders paid');
  }
}

/** The daily payout again and again: the day's lines moved to the simulated day (under the union key), then run_union_payout after its payout time. */
async function unionPayouts(w, db) {
  while (unionMade < UNION_ORDERS) {
    // (a line settled meanwhile keeps today's day and moves with the next round: none lands on a day paid out)
    await query(db, `update rebate.union_lines set day = rebate.shanghai_day(now()) + $1::int where day = rebate.shanghai_day(now())`, [dayOffset]);
    const [{ at }] = await query(db, `select (((rebate.shanghai_day(now()) + $1::int + 1)::timestamp + s.union_payout_time + interval '1 minute')
                                              at time zone 'Asia/Shanghai') as at from rebate.settings s where s.id = 1`, [dayOffset]);
    const r = await svc(w, 'run_union_payout', { p_at: at }, w.base);
    if (r && !r.replayed) count('union payouts run');
    dayOffset += 1;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function worker(w) {
  while (made < ORDERS) {
    made += 1;
    await oneOrder(w);
    // three clearings spread over the run: each clears every waiting entry at its instant
    if (clearings < 3 && made >= ((clearings + 1) * ORDERS) / 4) {
      clearings += 1;
      const at = new Date(Date.now() + clearings * 86400000).toISOString();
      if (await rpc(w.serviceToken, 'clear_queues', { p_at: at }, { apikey: env.SERVICE_ROLE_KEY })) count('clearings run');
    }
  }
}

// ------------------------------------------------------------------ the run

async function main() {
  const server = await startPostgres({ dataDir: DATA_DIR, port: PORT });
  const admin = server.url('postgres');
  await prepareTemplate(admin, { log });
  const db = await cloneDatabase(admin, 'rebate_soak');
  await query(db, `update rebate.settings set lottery_mode = 'fixed',
                     lottery_options = '[{"bps": 5000, "weight": 1}, {"bps": 10000, "weight": 2}, {"bps": 15000, "weight": 1}]',
                     points_exchange_bps = 10000, clearing_enabled = true, clearing_schedule = 'daily',
                     clearing_time = '03:00', merchant_queue = false where id = 1`);
  const ids = await fixtureIds(db);
  await query(db, `update rebate.settings set withdraw_daily_limit = 100 where id = 1`);
  const adminId = (await query(db, `update rebate.members set is_admin = true where id = $1 returning id`, [ids.members[0]]))[0].id;
  await query(db, `insert into rebate.staff_roles (member_id, role) values ($1, 'finance') on conflict do nothing`, [adminId]);
  // the union phase's database: union mode, a referral tree (most orders pay an acceleration)
  const unionDb = await cloneDatabase(admin, 'rebate_soak_union');
  await switchToUnion(unionDb, { accelBps: 1000 });
  const unionIds = await fixtureIds(unionDb);
  await query(db, `select rebate.post_ledger(m.id, 'points', 100000, 'admin_adjustment'), rebate.post_ledger(m.id, 'cash', 1000, 'admin_adjustment') from rebate.members m`);
  const codes = new Map((await query(db, `select id, member_code from rebate.members`)).map((r) => [r.id, r.member_code]));
  const iat = Math.floor(Date.now() / 1000);
  const jwt = (sub, role = 'authenticated') => signJwt({ aud: 'authenticated', role, sub, iat, exp: iat + 24 * 3600 }, env.JWT_SECRET);
  const members = ids.members.slice(1).map((id) => ({ id, code: codes.get(id), token: jwt(id) }));

  const functions = await startFunctions({
    port: FUNCTIONS_PORT, quiet: true,
    env: { SUPABASE_URL: `http://127.0.0.1:${GATEWAY_PORT}`, SUPABASE_ANON_KEY: env.ANON_KEY, SUPABASE_SERVICE_ROLE_KEY: env.SERVICE_ROLE_KEY,
      JWT_SECRET: env.JWT_SECRET, REBATE_LOCAL_DEV: '1' },
  });
  const gateway = await startGateway(db);
  gatewayUrl = gateway.url;
  functionsUrl = gateway.url;   // /functions/v1 through the gateway, as the app calls them
  log(`gateway pid ${gateway.pid} on ${gatewayUrl}, functions host pid ${functions.pid}; ${ORDERS} orders at ${CONNS} connections`);

  const samples = [];
  const sample = () => samples.push({ s: Math.round((Date.now() - t0) / 1000), made, gateway: rssMb(gateway.pid), functions: rssMb(functions.pid) });
  sample();
  const sampler = setInterval(() => {
    sample();
    const x = samples[samples.length - 1];
    log(`${x.made} orders; RSS gateway ${x.gateway} MB, functions ${x.functions} MB`);
  }, SAMPLE_MS);
  const w = { members, products: ids.products, serviceToken: env.SERVICE_ROLE_KEY, adminToken: jwt(adminId) };
  const tLoad = Date.now();
  await Promise.all(Array.from({ length: CONNS }, () => worker(w)));
  const seconds = (Date.now() - tLoad) / 1000;

  // the union phase: its own database behind a second gateway
  const unionGateway = await startGateway(unionDb, UNION_GATEWAY_PORT);
  const uw = { members: unionIds.members.slice(1).map((id) => ({ id, token: jwt(id) })), products: unionIds.products,
               serviceToken: env.SERVICE_ROLE_KEY, base: unionGateway.url };
  const tUnion = Date.now();
  await Promise.all([...Array.from({ length: CONNS }, () => unionWorker(uw)), unionPayouts(uw, unionDb)]);
  const unionSeconds = (Date.now() - tUnion) / 1000;
  unionGateway.child.kill('SIGTERM');
  clearInterval(sampler);
  sample();

  await query(db, 'select public.settle_pending()');
  const findings = await query(db, 'select * from public.reconcile()');
  const unionFindings = await query(unionDb, 'select * from public.reconcile()');
  const [union] = await query(unionDb, `select (select count(*)::int from rebate.union_payouts) as payouts,
      (select count(*)::int from rebate.union_payout_items) as paid, (select count(*)::int from rebate.union_accelerations) as accelerations`);
  const [{ parked }] = await query(db, `select count(*)::int as parked from rebate.settle_inbox where attempts >= 3`);
  gateway.child.kill('SIGTERM');
  await functions.stop();
  await server.stop();

  const quarter = (q) => {
    const part = samples.slice(Math.floor((q * samples.length) / 4), Math.floor(((q + 1) * samples.length) / 4));
    const avg = (k) => Math.round(part.reduce((a, x) => a + x[k], 0) / Math.max(1, part.length));
    return { gateway: avg('gateway'), functions: avg('functions') };
  };
  const q2 = quarter(1);
  const q4 = quarter(3);
  const flat = q4.gateway <= q2.gateway * 1.25 && q4.functions <= q2.functions * 1.25;
  console.log(`\nsoak: ${made} orders in ${seconds.toFixed(0)} s (${(made / seconds).toFixed(0)} orders/s) at ${CONNS} connections; `
    + `union phase ${unionMade} orders in ${unionSeconds.toFixed(0)} s, ${union.payouts} payouts (${union.paid} entries paid), ${union.accelerations} accelerations`);
  for (const [k, v] of Object.entries(counts).sort()) console.log(`  ${k}: ${v}`);
  console.log(`memory (RSS, MB) — s: gateway / functions`);
  console.log(samples.map((x) => `  ${x.s}: ${x.gateway} / ${x.functions}`).join('\n'));
  console.log(`second quarter ${q2.gateway} / ${q2.functions} MB, last quarter ${q4.gateway} / ${q4.functions} MB: ${flat ? 'flat' : 'GROWING'}`);
  console.log(`reconcile: ${findings.length ? JSON.stringify(findings.slice(0, 5)) : 'clean'}; union reconcile: `
    + `${unionFindings.length ? JSON.stringify(unionFindings.slice(0, 5)) : 'clean'}; parked settlements: ${parked}`);
  return findings.length === 0 && unionFindings.length === 0 && parked === 0 && flat ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });

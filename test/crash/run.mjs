// `npm run crash`: orders through the production path (create_order as the member, then the
// payment notification as pay-notify sends it: accept_payment, settle_pending) at 8
// connections, while the Postgres server is killed with SIGKILL at random moments and
// restarted (crash recovery). After every restart, with the load paused and the settle inboxes
// drained:
//   - every payment whose accept_payment was acknowledged (its commit returned) is there, paid;
//   - reconcile() is clean (nothing half-applied, the books balance);
//   - FIFO held: no waiting entry has a later entry of its queue that has received anything.
// Phases rotate: one hot queue (merchant queue on), 1,000 per-product queues, and the union
// queue (SPEC §13, its own database on the same server: orders with acceleration through a
// referral tree, the daily payout run again and again). The money flows run beside the orders in
// the classic phases, at the database level as the edge functions call them (as service_role,
// or as the finance member for the console's steps):
//   - refunds: console_start_refund (refund-start), then WeChat's answer and notification through
//     record_wechat_refund (PROCESSING, then SUCCESS or CLOSED, sometimes twice);
//   - late payments: an order the member cancelled, then paid (accept_payment records it and
//     starts its full refund), then the refund's SUCCESS;
//   - withdrawals paid by merchant transfer: request_withdrawal, admin_approve_withdrawal_transfer,
//     record_transfer_result (ACCEPTED, then SUCCESS or FAIL returning the money, sometimes twice).
// After every restart WeChat's word is delivered again for every refund and transfer still open or
// acknowledged (as its retries and our jobs would), and the checks add: every acknowledged refund,
// late payment and transfer is there in its acknowledged state; no refund or transfer is applied
// twice (one rebate.refunds row per successful refund, one return per failed transfer); union
// FIFO held and every acknowledged payout day there.
// Exit 1 on any loss or finding.
//
// CRASH_UNSAFE=1 runs the server with synchronous_commit=off (and a slow WAL writer): commits
// are acknowledged before their WAL is on disk, so a kill loses some. The suite must then
// report the loss (it exits 1 if it finds none: a check that cannot see loss is no check).
//
// Knobs: CRASH_KILLS (20), CRASH_CONNS (8), CRASH_PG_PORT (54370), CRASH_PG_DIR (.local/crash-pg).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { ROOT } from '../../supabase/local/env.mjs';
import { startPostgres } from '../../supabase/local/postgres.mjs';
import { cloneDatabase, fixtureIds, prepareTemplate, query } from '../bench/server.mjs';
import { switchToUnion } from '../bench/union.mjs';
import {
  ACCEPT_SQL, asRole, CREATE_SQL, memberClaims, orderBody, SERVICE_CLAIMS, SETTLE_SQL,
} from '../bench/workloads.mjs';

const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const CONNS = Number(process.env.CRASH_CONNS ?? 8);
const UNSAFE = process.env.CRASH_UNSAFE === '1';
const PORT = Number(process.env.CRASH_PG_PORT ?? 54370);
const DATA_DIR = process.env.CRASH_PG_DIR ?? path.join(ROOT, '.local/crash-pg');
const DB = 'rebate_crash';
const FLAGS = UNSAFE
  ? ['synchronous_commit=off', 'wal_writer_delay=10000ms', 'wal_writer_flush_after=0', 'max_connections=100']
  : ['synchronous_commit=on', 'fsync=on', 'full_page_writes=on', 'max_connections=100'];

const t0 = Date.now();
const log = (m) => console.log(`[crash ${String(Math.round((Date.now() - t0) / 1000)).padStart(4)} s] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (n) => Math.floor(Math.random() * n);

// ------------------------------------------------------------------ the server

let server = null;
async function start() {
  server = await startPostgres({ dataDir: DATA_DIR, port: PORT, flags: FLAGS });
  return server.url('postgres');
}

function postmasterPid() {
  try { return Number(fs.readFileSync(path.join(DATA_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return null; }
}

/** SIGKILL the postmaster and every backend at once: what a crash of the database host does. */
function killServer() {
  const pm = postmasterPid();
  if (!pm) throw new Error('no postmaster.pid');
  let children = [];
  try { children = execFileSync('pgrep', ['-P', String(pm)]).toString().trim().split('\n').filter(Boolean).map(Number); } catch { /* none */ }
  for (const pid of [pm, ...children]) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  return 1 + children.length;
}

async function waitGone(pid) {
  for (let i = 0; i < 200; i++) {
    try { process.kill(pid, 0); } catch { return; }
    await sleep(25);
  }
}

// ------------------------------------------------------------------ the load

const acknowledged = new Map();   // order_no → paid fen: accept_payment committed
const refundable = [];            // acknowledged paid orders not yet refunded (classic)
const refundsStarted = new Map(); // out_refund_no → {order_no, refund_fen, total_fen, want}: console_start_refund committed
const refundsFinal = new Map();   // out_refund_no → 'success' | 'closed': record_wechat_refund of the final word committed
const latePayments = new Map();   // order_no → {out_refund_no, pay_fen}: accept_payment of a cancelled order committed
const transfers = new Map();      // out_bill_no → {amount_fen, want}: admin_approve_withdrawal_transfer committed
const transfersFinal = new Map(); // out_bill_no → 'SUCCESS' | 'FAIL': record_transfer_result of the final state committed
const unionAcknowledged = new Map(); // order_no → paid fen, union database
const payoutDays = new Set();     // union payout days acknowledged
let phase = 'hot';                // 'hot' | 'many' | 'union'
let unionUrl = null;
let dayOffset = -20000;           // the union payout's simulated day (today + offset), moving forward
let paused = false;
let running = true;
let busy = 0;
let url = null;

async function connect(to = url) {
  for (;;) {
    if (!running) return null;
    const c = new pg.Client({ connectionString: to });
    c.on('error', () => {});
    try { await c.connect(); return c; } catch { await sleep(100); }
  }
}

const START_REFUND_SQL = `select public.console_start_refund($1, null, '压测退款') as r`;
const RECORD_REFUND_SQL = 'select public.record_wechat_refund($1, $2, $3, $4, $5, $6) as r';
const CANCEL_SQL = 'select to_jsonb(public.cancel_my_order($1)) as r';
const REQUEST_WD_SQL = `select to_jsonb(public.request_withdrawal('cash', $1)) as r`;
const APPROVE_WD_SQL = 'select public.admin_approve_withdrawal_transfer($1) as r';
const TRANSFER_SQL = 'select public.record_transfer_result($1, $2, $3, null, $4, $5, $6) as r';
const service = (c, name, sql, values) => asRole(c, 'service_role', SERVICE_CLAIMS, name, sql, values);

/** An order through the production path: create_order, then pay-notify's two steps. */
async function order(c, ids, ack) {
  const member = memberClaims(ids.members[rand(ids.members.length)]);
  const { o } = await asRole(c, 'authenticated', member, 'create', CREATE_SQL, [orderBody(ids.products)]);
  const values = [o.order_no, `pay-${o.order_no}`, o.pay_fen];
  const { r } = await service(c, 'accept', ACCEPT_SQL, values);
  ack.set(o.order_no, o.pay_fen);   // the commit returned: this payment must survive
  if (ack === acknowledged) refundable.push(o.order_no);
  if (r.settle_queue_id != null) {
    for (let i = 0; i < 5; i++) {
      const { r: s } = await service(c, 'settle', SETTLE_SQL, [r.settle_queue_id]);
      if (!s.retry) break;
    }
  }
}

/** WeChat's word about one of our refunds (the answer, the notification or the query), as record_wechat_refund gets it. */
async function refundWord(c, no, x, status) {
  await service(c, 'refund_word', RECORD_REFUND_SQL,
    [x.order_no, no, status, status === 'CLOSED' ? null : `wx-${no}`, x.refund_fen, x.total_fen]);
  if (status === 'SUCCESS' || status === 'CLOSED') refundsFinal.set(no, status === 'SUCCESS' ? 'success' : 'closed');
}

/** Finance refunds a paid order (refund-start), then WeChat answers PROCESSING and notifies SUCCESS or CLOSED. */
async function refund(c, ids) {
  if (refundable.length === 0) return;
  const orderNo = refundable.splice(rand(refundable.length), 1)[0];
  let r;
  try {
    ({ r } = await asRole(c, 'authenticated', ids.finance, 'start_refund', START_REFUND_SQL, [orderNo]));
  } catch (e) {
    if (e.code === 'P0001') return;   // refunded meanwhile, or nothing left to refund
    throw e;
  }
  const x = { order_no: orderNo, refund_fen: r.refund_fen, total_fen: r.total_fen, want: rand(10) === 0 ? 'CLOSED' : 'SUCCESS' };
  refundsStarted.set(r.out_refund_no, x);
  if (r.status === 'success') { refundsFinal.set(r.out_refund_no, 'success'); x.want = 'SUCCESS'; return; }   // ¥0: done at once
  await refundWord(c, r.out_refund_no, x, 'PROCESSING');
  await refundWord(c, r.out_refund_no, x, x.want);
  if (rand(5) === 0) await refundWord(c, r.out_refund_no, x, x.want);   // a duplicated notification
  if (x.want === 'CLOSED') refundable.push(orderNo);                     // nothing was refunded
}

/** The member cancels an order with the payment sheet open and pays it: a late payment, refunded in full. */
async function latePayment(c, ids) {
  const member = memberClaims(ids.members[rand(ids.members.length)]);
  const { o } = await asRole(c, 'authenticated', member, 'create', CREATE_SQL, [orderBody(ids.products)]);
  await asRole(c, 'authenticated', member, 'cancel', CANCEL_SQL, [o.order_id]);
  const { r } = await service(c, 'accept', ACCEPT_SQL, [o.order_no, `late-${o.order_no}`, o.pay_fen]);
  const no = r.late_payment.out_refund_no;
  latePayments.set(o.order_no, { out_refund_no: no, pay_fen: o.pay_fen });
  const x = { order_no: o.order_no, refund_fen: o.pay_fen, total_fen: o.pay_fen, want: 'SUCCESS' };
  refundsStarted.set(no, x);
  if (rand(3) === 0) await service(c, 'accept', ACCEPT_SQL, [o.order_no, `late-${o.order_no}`, o.pay_fen]);   // duplicated
  await refundWord(c, no, x, 'SUCCESS');
}

/** WeChat's word about a transfer (create answer, query or notification), as record_transfer_result gets it. */
async function transferWord(c, no, x, state, source) {
  await service(c, 'transfer_word', TRANSFER_SQL,
    [no, state, `bill-${no}`, state === 'FAIL' ? 'ACCOUNT_FROZEN' : null, x.amount_fen, source]);
  if (state === 'SUCCESS' || state === 'FAIL') transfersFinal.set(no, state);
}

/** A withdrawal paid by merchant transfer: requested, approved by finance, ACCEPTED, then SUCCESS or FAIL (money back). */
async function withdrawal(c, ids) {
  const member = memberClaims(ids.members[1 + rand(ids.members.length - 1)]);
  let w;
  try {
    ({ r: w } = await asRole(c, 'authenticated', member, 'request_wd', REQUEST_WD_SQL, [100 + rand(5000)]));
  } catch (e) {
    if (e.code === 'P0001') return;   // the day's limit
    throw e;
  }
  const { r: t } = await asRole(c, 'authenticated', ids.finance, 'approve_wd', APPROVE_WD_SQL, [w.withdrawal_id]);
  const x = { amount_fen: w.net_fen, want: rand(4) === 0 ? 'FAIL' : 'SUCCESS' };
  transfers.set(t.out_bill_no, x);
  await transferWord(c, t.out_bill_no, x, 'ACCEPTED', 'create');
  await transferWord(c, t.out_bill_no, x, x.want, 'notify');
  if (rand(5) === 0) await transferWord(c, t.out_bill_no, x, x.want, 'query');   // and the job's query after it
}

async function worker(ids) {
  let c = await connect();
  let onUnion = false;
  while (running) {
    if (paused || !c) { await sleep(20); if (!c) c = await connect(); continue; }
    if ((phase === 'union') !== onUnion) {   // the union phase runs in its own database
      await c.end().catch(() => {});
      onUnion = phase === 'union';
      c = await connect(onUnion ? unionUrl : url);
      continue;
    }
    busy += 1;
    try {
      const roll = rand(100);
      if (onUnion) await order(c, ids.union, unionAcknowledged);
      else if (roll < 10) await refund(c, ids);
      else if (roll < 14) await latePayment(c, ids);
      else if (roll < 22) await withdrawal(c, ids);
      else await order(c, ids, acknowledged);
    } catch (e) {
      // the server went away (or a lock conflict): nothing of the unacknowledged step counts
      if (!/^(40P01|40001|55P03)$/.test(e.code ?? '')) {
        await c.end().catch(() => {});
        c = null;
      }
    } finally {
      busy -= 1;
    }
  }
  await c?.end().catch(() => {});
}

/**
 * The union's daily payout, again and again: the day's lines are moved to the simulated day
 * (today + offset, under the union key, as the union tests' backdate does), then
 * run_union_payout as pg_cron calls it, a minute after that day's payout time.
 */
async function payoutWorker() {
  let c = null;
  while (running) {
    if (paused || phase !== 'union') { await sleep(50); continue; }
    if (!c) { c = await connect(unionUrl); continue; }
    busy += 1;
    try {
      await c.query('begin');
      await c.query('select pg_advisory_xact_lock(20261216, 1)');
      await c.query(`update rebate.union_lines set day = rebate.shanghai_day(now()) + $1::int where day = rebate.shanghai_day(now())`, [dayOffset]);
      await c.query('commit');
      const at = (await c.query(`select (((rebate.shanghai_day(now()) + $1::int + 1)::timestamp + s.union_payout_time + interval '1 minute')
                                          at time zone 'Asia/Shanghai') as at from rebate.settings s where s.id = 1`, [dayOffset])).rows[0].at;
      const { r } = await service(c, 'payout', 'select public.run_union_payout($1::timestamptz) as r', [at]);
      if (r.day) payoutDays.add(String(r.day).slice(0, 10));
      dayOffset += 1;
    } catch {
      await c.query('rollback').catch(() => {});
      await c.end().catch(() => {});
      c = null;
    } finally {
      busy -= 1;
    }
    await sleep(150);
  }
  await c?.end().catch(() => {});
}

// ------------------------------------------------------------------ the checks

/**
 * WeChat's retries and our jobs after a restart: the final word again for every refund and
 * transfer we know of (a repeat must change nothing), and SUCCESS for every one still open in the
 * database (started, but its acknowledgement was lost with the crash).
 */
const redeliveryErrors = [];   // a repeat of WeChat's word refused: a finding (in the safe mode)
async function redeliver(dbUrl) {
  const c = await connect(dbUrl);
  try {
    const open = await c.query(`select w.out_refund_no, o.order_no, w.refund_fen::int, w.total_fen::int from rebate.wechat_refunds w
                                  join rebate.orders o on o.id = w.order_id where w.status in ('created', 'processing', 'abnormal')`);
    for (const row of open.rows) {
      if (!refundsStarted.has(row.out_refund_no)) refundsStarted.set(row.out_refund_no, { ...row, want: 'SUCCESS' });
    }
    const again = async (what, fn) => {
      try { await fn(); } catch (e) { redeliveryErrors.push(`${what}: ${e.message}`); }
    };
    for (const [no, x] of refundsStarted) await again(`refund ${no}`, () => refundWord(c, no, x, x.want));
    const openT = await c.query(`select out_bill_no, amount_fen::int from rebate.withdrawal_transfers where finished_at is null`);
    for (const row of openT.rows) if (!transfers.has(row.out_bill_no)) transfers.set(row.out_bill_no, { amount_fen: row.amount_fen, want: 'SUCCESS' });
    for (const [no, x] of transfers) await again(`transfer ${no}`, () => transferWord(c, no, x, x.want, 'query'));
    for (const [orderNo, l] of latePayments) {
      await again(`late payment ${orderNo}`, () => service(c, 'accept', ACCEPT_SQL, [orderNo, `late-${orderNo}`, l.pay_fen]));
    }
  } finally {
    await c.end().catch(() => {});
  }
}

async function checkMoney(dbUrl) {
  const missing = [];
  const refunds = await query(dbUrl, `select out_refund_no, status, refund_id from rebate.wechat_refunds where out_refund_no = any($1)`, [[...refundsStarted.keys()]]);
  const byNo = new Map(refunds.map((r) => [r.out_refund_no, r]));
  for (const no of refundsStarted.keys()) if (!byNo.has(no)) missing.push(`refund ${no}`);
  for (const [no, st] of refundsFinal) if (byNo.get(no)?.status !== st) missing.push(`refund ${no} ${st} → ${byNo.get(no)?.status}`);
  const late = await query(dbUrl, `select o.order_no, l.status from rebate.late_payments l join rebate.orders o on o.id = l.order_id where o.order_no = any($1)`, [[...latePayments.keys()]]);
  const lateBy = new Map(late.map((r) => [r.order_no, r.status]));
  for (const [orderNo, l] of latePayments) {
    if (!lateBy.has(orderNo)) missing.push(`late payment ${orderNo}`);
    else if (refundsFinal.get(l.out_refund_no) === 'success' && lateBy.get(orderNo) !== 'refunded') missing.push(`late payment ${orderNo} not refunded`);
  }
  const ts = await query(dbUrl, `select out_bill_no, state from rebate.withdrawal_transfers where out_bill_no = any($1)`, [[...transfers.keys()]]);
  const tBy = new Map(ts.map((r) => [r.out_bill_no, r.state]));
  for (const no of transfers.keys()) if (!tBy.has(no)) missing.push(`transfer ${no}`);
  for (const [no, st] of transfersFinal) if (tBy.get(no) !== st) missing.push(`transfer ${no} ${st} → ${tBy.get(no)}`);
  // applied twice: a refund booked twice, a booking without its refund, a transfer returned twice
  const [twice] = await query(dbUrl, `select
      (select count(*)::int from rebate.refunds r where (select count(*) from rebate.wechat_refunds w where w.refund_id = r.id) <> 1) as refunds,
      (select count(*)::int from rebate.wechat_refunds w where w.status = 'success' and w.late_payment_id is null and w.refund_id is null) as unbooked,
      (select count(*)::int from rebate.ledger g where g.reason = 'withdrawal_transfer_return')
        - (select count(*)::int from rebate.withdrawals x where x.status = 'returned' and x.return_ledger_id is not null) as returns,
      (select count(*)::int from rebate.withdrawals x join rebate.withdrawal_transfers t on t.withdrawal_id = x.id
        where (t.state = 'SUCCESS') <> (x.status = 'approved') or (t.state in ('FAIL', 'CANCELLED')) <> (x.status = 'returned')) as transfer_state`);
  missing.push(...redeliveryErrors.splice(0));
  return { missing, twice: twice.refunds + twice.unbooked + Math.abs(twice.returns) + twice.transfer_state, counts: {
    refunds: refundsStarted.size, refunded: [...refundsFinal.values()].filter((v) => v === 'success').length,
    late: latePayments.size, transfers: transfers.size, returned: [...transfersFinal.values()].filter((v) => v === 'FAIL').length } };
}

async function checkUnion(dbUrl) {
  const numbers = [...unionAcknowledged.keys()];
  const [{ n }] = await query(dbUrl, `select count(*)::int as n from rebate.orders o where o.order_no = any($1) and o.status in ('paid', 'completed')`, [numbers]);
  const findings = await query(dbUrl, `select check_name, subject from public.reconcile()`);
  // FIFO: a payout pays waiting entries in queue order while it can cover the head; no entry that
  // was waiting then, ahead of one it paid, may still be waiting
  const [{ fifo }] = await query(dbUrl, `
    select count(*)::int as fifo from rebate.union_payout_items i join rebate.union_payouts p on p.day = i.day
     where exists (select 1 from rebate.union_entries a where a.id < i.entry_id and a.status = 'waiting' and a.created_at < p.ran_at)`);
  const days = await query(dbUrl, `select day::text from rebate.union_payouts`);
  const have = new Set(days.map((d) => d.day));
  const lostDays = [...payoutDays].filter((d) => !have.has(d)).length;
  const [stats] = await query(dbUrl, `select (select count(*)::int from rebate.union_payouts) as payouts,
      (select count(*)::int from rebate.union_payout_items) as paid_entries, (select count(*)::int from rebate.union_accelerations) as accelerations`);
  return { acknowledged: numbers.length, lost: numbers.length - n + lostDays, findings, fifo, ...stats };
}

async function drainInboxes(dbUrl) {
  for (let i = 0; i < 50; i++) {
    const [{ n }] = await query(dbUrl, `select count(*)::int as n from rebate.settle_inbox where attempts < 3`);
    if (n === 0) return;
    await query(dbUrl, `select public.settle_pending()`).catch(() => {});
  }
}

async function check(dbUrl) {
  await drainInboxes(dbUrl);
  await redeliver(dbUrl);
  const numbers = [...acknowledged.keys()];
  const present = await query(dbUrl,
    `select count(*)::int as n from rebate.orders o where o.order_no = any($1) and o.status in ('paid', 'completed', 'refunded')`, [numbers]);
  const lost = numbers.length - present[0].n;
  const findings = await query(dbUrl, `select check_name, subject from public.reconcile()`);
  const fifo = await query(dbUrl, `
    select count(*)::int as n from rebate.entries a
      join rebate.entries b on b.queue_id = a.queue_id and b.seq > a.seq and b.received_fen > 0
      join rebate.queues q on q.id = a.queue_id
     where a.status = 'waiting' and a.seq >= q.head_seq`);
  const [{ parked }] = await query(dbUrl, `select count(*)::int as parked from rebate.settle_inbox where attempts >= 3`);
  const money = await checkMoney(dbUrl);
  return { acknowledged: numbers.length, lost: lost + money.missing.length, missing: money.missing, twice: money.twice, money: money.counts,
           findings, fifo: fifo[0].n, parked };
}

// ------------------------------------------------------------------ the run

async function main() {
  log(`server: ${FLAGS.join(' ')}${UNSAFE ? '  (UNSAFE: loss expected and must be detected)' : ''}`);
  const admin = await start();
  await prepareTemplate(admin, { log });
  await cloneDatabase(admin, DB);
  url = server.url(DB);
  // FIFO as checked above holds under the queue-order rule
  await query(url, `update rebate.settings set reward_rule = 'queue_order', merchant_queue = true, withdraw_daily_limit = 100 where id = 1`);
  const ids = await fixtureIds(url);
  // finance (the console's refund and transfer steps) is member 0; every member has cash to withdraw
  await query(url, `insert into rebate.staff_roles (member_id, role) values ($1, 'finance')`, [ids.members[0]]);
  await query(url, `select rebate.post_ledger(m.id, 'cash', 10000000, 'admin_adjustment') from rebate.members m`);
  ids.finance = memberClaims(ids.members[0]);
  // the union phase: its own database, union mode with a referral tree (most orders pay an acceleration)
  await cloneDatabase(admin, `${DB}_union`);
  unionUrl = server.url(`${DB}_union`);
  await switchToUnion(unionUrl, { accelBps: 1000 });
  ids.union = await fixtureIds(unionUrl);
  const workers = [...Array.from({ length: CONNS }, () => worker(ids)), payoutWorker()];
  const results = [];
  for (let k = 1; k <= KILLS; k++) {
    await sleep(800 + rand(2400));
    const pm = postmasterPid();
    const killed = killServer();
    await waitGone(pm);
    const t = Date.now();
    await start();
    const recoveredMs = Date.now() - t;
    paused = true;
    while (busy > 0) await sleep(10);
    const r = await check(url);
    const u = await checkUnion(unionUrl);
    results.push({ ...r, union: u });
    const mode = { hot: 'hot queue', many: 'per-product queues', union: 'union queue' }[phase];
    log(`kill ${k}/${KILLS}: ${killed} processes, restarted in ${recoveredMs} ms; ${mode}; acknowledged ${r.acknowledged}, `
      + `lost ${r.lost}${r.missing.length ? ` ${JSON.stringify(r.missing.slice(0, 3))}` : ''}, applied twice ${r.twice}, `
      + `reconcile ${r.findings.length ? JSON.stringify(r.findings.slice(0, 3)) : 'clean'}, FIFO violations ${r.fifo}, parked ${r.parked}; `
      + `refunds ${r.money.refunds} (${r.money.refunded} refunded, ${r.money.late} late payments), transfers ${r.money.transfers} (${r.money.returned} returned); `
      + `union ${u.acknowledged} acknowledged, lost ${u.lost}, reconcile ${u.findings.length ? JSON.stringify(u.findings.slice(0, 3)) : 'clean'}, `
      + `FIFO violations ${u.fifo}, ${u.payouts} payouts (${u.paid_entries} entries paid), ${u.accelerations} accelerations`);
    // rotate: one hot queue, 1,000 per-product queues, the union queue
    phase = { hot: 'many', many: 'union', union: 'hot' }[phase];
    if (phase !== 'union') await query(url, `update rebate.settings set merchant_queue = $1 where id = 1`, [phase === 'hot']);
    paused = false;
  }
  running = false;
  await Promise.all(workers);
  const last = results[results.length - 1];
  const worst = results.reduce((a, r) => ({
    lost: Math.max(a.lost, r.lost, r.union.lost), findings: a.findings + r.findings.length + r.union.findings.length,
    fifo: a.fifo + r.fifo + r.union.fifo, twice: a.twice + r.twice }), { lost: 0, findings: 0, fifo: 0, twice: 0 });
  const lu = last.union;
  console.log(`\ncrash suite: ${KILLS} kills, ${last.acknowledged} acknowledged payments, lost ${last.lost}, `
    + `reconcile findings ${worst.findings}, FIFO violations ${worst.fifo}, parked ${last.parked}, applied twice ${worst.twice}; `
    + `${last.money.refunds} refunds (${last.money.refunded} refunded, ${last.money.late} late payments), `
    + `${last.money.transfers} transfers (${last.money.returned} returned); union: ${lu.acknowledged} acknowledged payments, lost ${lu.lost}, `
    + `${lu.payouts} payouts (${lu.paid_entries} entries paid), ${lu.accelerations} accelerations (${Math.round((Date.now() - t0) / 1000)} s)`);
  await server.stop().catch(() => {});
  if (UNSAFE) {
    if (last.lost > 0) { console.log(`synchronous_commit=off: ${last.lost} acknowledged payments lost — detected, as it must be`); return 0; }
    console.log('synchronous_commit=off but no loss detected: the check cannot see loss'); return 1;
  }
  return worst.lost === 0 && worst.findings === 0 && worst.fifo === 0 && worst.twice === 0 && last.parked === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), async (e) => {
  console.error(e);
  await server?.stop().catch(() => {});
  process.exit(1);
});

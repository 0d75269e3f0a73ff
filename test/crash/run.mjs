// `npm run crash`: orders through the production path (create_order as the member, then the
// payment notification as pay-notify sends it: accept_payment, settle_pending) at 8
// connections, while the Postgres server is killed with SIGKILL at random moments and
// restarted (crash recovery). After every restart, with the load paused and the settle inboxes
// drained:
//   - every payment whose accept_payment was acknowledged (its commit returned) is there, paid;
//   - reconcile() is clean (nothing half-applied, the books balance);
//   - FIFO held: no waiting entry has a later entry of its queue that has received anything.
// Phases alternate between one hot queue (merchant queue on) and 1,000 per-product queues.
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
let paused = false;
let running = true;
let busy = 0;
let url = null;

async function connect() {
  for (;;) {
    if (!running) return null;
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    try { await c.connect(); return c; } catch { await sleep(100); }
  }
}

async function worker(ids) {
  let c = await connect();
  while (running) {
    if (paused || !c) { await sleep(20); if (!c) c = await connect(); continue; }
    busy += 1;
    try {
      const member = memberClaims(ids.members[rand(ids.members.length)]);
      const { o } = await asRole(c, 'authenticated', member, 'create', CREATE_SQL, [orderBody(ids.products)]);
      const values = [o.order_no, `pay-${o.order_no}`, o.pay_fen];
      const { r } = await asRole(c, 'service_role', SERVICE_CLAIMS, 'accept', ACCEPT_SQL, values);
      acknowledged.set(o.order_no, o.pay_fen);   // the commit returned: this payment must survive
      if (r.settle_queue_id != null) {
        for (let i = 0; i < 5; i++) {
          const { r: s } = await asRole(c, 'service_role', SERVICE_CLAIMS, 'settle', SETTLE_SQL, [r.settle_queue_id]);
          if (!s.retry) break;
        }
      }
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

// ------------------------------------------------------------------ the checks

async function drainInboxes(dbUrl) {
  for (let i = 0; i < 50; i++) {
    const [{ n }] = await query(dbUrl, `select count(*)::int as n from rebate.settle_inbox where attempts < 3`);
    if (n === 0) return;
    await query(dbUrl, `select public.settle_pending()`).catch(() => {});
  }
}

async function check(dbUrl) {
  await drainInboxes(dbUrl);
  const numbers = [...acknowledged.keys()];
  const present = await query(dbUrl,
    `select count(*)::int as n from rebate.orders o where o.order_no = any($1) and o.status in ('paid', 'completed')`, [numbers]);
  const lost = numbers.length - present[0].n;
  const findings = await query(dbUrl, `select check_name, subject from public.reconcile()`);
  const fifo = await query(dbUrl, `
    select count(*)::int as n from rebate.entries a
      join rebate.entries b on b.queue_id = a.queue_id and b.seq > a.seq and b.received_fen > 0
      join rebate.queues q on q.id = a.queue_id
     where a.status = 'waiting' and a.seq >= q.head_seq`);
  const [{ parked }] = await query(dbUrl, `select count(*)::int as parked from rebate.settle_inbox where attempts >= 3`);
  return { acknowledged: numbers.length, lost, findings, fifo: fifo[0].n, parked };
}

// ------------------------------------------------------------------ the run

async function main() {
  log(`server: ${FLAGS.join(' ')}${UNSAFE ? '  (UNSAFE: loss expected and must be detected)' : ''}`);
  const admin = await start();
  await prepareTemplate(admin, { log });
  await cloneDatabase(admin, DB);
  url = server.url(DB);
  // FIFO as checked above holds under the queue-order rule
  await query(url, `update rebate.settings set reward_rule = 'queue_order', merchant_queue = true where id = 1`);
  const ids = await fixtureIds(url);
  const workers = Array.from({ length: CONNS }, () => worker(ids));
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
    results.push(r);
    const mode = (await query(url, `select merchant_queue from rebate.settings where id = 1`))[0].merchant_queue ? 'hot queue' : 'per-product queues';
    log(`kill ${k}/${KILLS}: ${killed} processes, restarted in ${recoveredMs} ms; ${mode}; acknowledged ${r.acknowledged}, `
      + `lost ${r.lost}, reconcile ${r.findings.length ? JSON.stringify(r.findings.slice(0, 3)) : 'clean'}, FIFO violations ${r.fifo}, parked ${r.parked}`);
    // alternate: one hot queue, then 1,000 per-product queues
    await query(url, `update rebate.settings set merchant_queue = not merchant_queue where id = 1`);
    paused = false;
  }
  running = false;
  await Promise.all(workers);
  const last = results[results.length - 1];
  const worst = results.reduce((a, r) => ({ lost: Math.max(a.lost, r.lost), findings: a.findings + r.findings.length, fifo: a.fifo + r.fifo }), { lost: 0, findings: 0, fifo: 0 });
  console.log(`\ncrash suite: ${KILLS} kills, ${last.acknowledged} acknowledged payments, lost ${last.lost}, `
    + `reconcile findings ${worst.findings}, FIFO violations ${worst.fifo}, parked ${last.parked} (${Math.round((Date.now() - t0) / 1000)} s)`);
  await server.stop().catch(() => {});
  if (UNSAFE) {
    if (last.lost > 0) { console.log(`synchronous_commit=off: ${last.lost} acknowledged payments lost — detected, as it must be`); return 0; }
    console.log('synchronous_commit=off but no loss detected: the check cannot see loss'); return 1;
  }
  return last.lost === 0 && worst.findings === 0 && worst.fifo === 0 && last.parked === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), async (e) => {
  console.error(e);
  await server?.stop().catch(() => {});
  process.exit(1);
});

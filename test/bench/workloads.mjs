// The iterations the bench drives. Every worker owns one connection (or one HTTP client).
//
//  - tpcb:   pgbench's built-in "tpcb-like" script, statement for statement, over node-pg
//            (one hot branch row at scale 1): BEGIN; UPDATE accounts; SELECT; UPDATE tellers;
//            UPDATE branches; INSERT history; END.
//  - order:  one order through the real functions, shaped like PostgREST requests (each one
//            begin; set role + request.jwt.claims; the call; commit):
//              tx 1 (member):       create_order
//              the payment notification, as pay-notify sends it (batched settlement):
//              tx 2 (payment side): accept_payment   (paid, into the queue's settle inbox)
//              tx 3 (payment side): settle_pending   (the queue's inbox settled: joins, pays
//                                   the entries ahead FIFO; this order with any accepted meanwhile)
//            or, with mode 'single', the notification as one transaction per payment:
//              tx 2 (payment side): mark_order_paid  (accepted and settled in one transaction)
//  - pay:    the payment notification only, over orders created beforehand.
//  - http:   the same requests through supabase-js → gateway (separate process) → Postgres.
import { fork, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createClient } from '@supabase/supabase-js';
import { exhaustedError } from './harness.mjs';

const require = createRequire(import.meta.url);
const env = require('../../supabase/local/env.cjs');
const { signJwt } = require('../../supabase/local/gateway.cjs');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6;

const rand = (n) => Math.floor(Math.random() * n);

async function connect(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}

// ------------------------------------------------------------------ TPC-B-like anchor

/** The tables and rows of `pgbench -i -s 1` (one branch, 10 tellers, 100,000 accounts). */
export async function initTpcb(url) {
  const c = await connect(url);
  try {
    await c.query(`
      drop table if exists pgbench_history, pgbench_tellers, pgbench_accounts, pgbench_branches;
      create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
      create table pgbench_tellers (tid int not null, bid int, tbalance int, filler char(84)) with (fillfactor = 100);
      create table pgbench_accounts (aid int not null, bid int, abalance int, filler char(84)) with (fillfactor = 100);
      create table pgbench_branches (bid int not null, bbalance int, filler char(88)) with (fillfactor = 100);
      insert into pgbench_branches (bid, bbalance) values (1, 0);
      insert into pgbench_tellers (tid, bid, tbalance) select t, (t - 1) / 10 + 1, 0 from generate_series(1, 10) t;
      insert into pgbench_accounts (aid, bid, abalance, filler) select a, (a - 1) / 100000 + 1, 0, '' from generate_series(1, 100000) a;
      alter table pgbench_branches add primary key (bid);
      alter table pgbench_tellers add primary key (tid);
      alter table pgbench_accounts add primary key (aid);`);
    await c.query('vacuum analyze pgbench_branches, pgbench_tellers, pgbench_accounts, pgbench_history');
  } finally {
    await c.end();
  }
}

/** What pgbench does before each run (unless -n): vacuum the small tables, empty the history. */
export async function resetTpcb(url) {
  const c = await connect(url);
  try {
    await c.query('vacuum pgbench_branches');
    await c.query('vacuum pgbench_tellers');
    await c.query('truncate pgbench_history');
  } finally {
    await c.end();
  }
}

export function tpcbWorker(url) {
  return async () => {
    const c = await connect(url);
    const q = (name, text, values) => c.query({ name, text, values });
    return {
      async iterate() {
        const aid = 1 + rand(100000);
        const tid = 1 + rand(10);
        const bid = 1;
        const delta = rand(10001) - 5000;
        await q('tb_begin', 'BEGIN', []);
        try {
          await q('tb_1', 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2', [delta, aid]);
          await q('tb_2', 'SELECT abalance FROM pgbench_accounts WHERE aid = $1', [aid]);
          await q('tb_3', 'UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2', [delta, tid]);
          await q('tb_4', 'UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2', [delta, bid]);
          await q('tb_5', 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
            [tid, bid, aid, delta]);
          await q('tb_end', 'END', []);
        } catch (e) {
          await c.query('ROLLBACK').catch(() => {});
          throw e;
        }
      },
      close: () => c.end(),
    };
  };
}

export function pgbenchAvailable() {
  return new Promise((resolve) => {
    const p = spawn('pgbench', ['--version']);
    p.on('error', () => resolve(null));
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve(code === 0 ? out.trim() : null));
  });
}

function runPgbenchOnce(url, { clients, seconds }) {
  const u = new URL(url);
  const args = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username),
    '-n', '-M', 'prepared', '-b', 'tpcb-like', '-c', String(clients), '-j', String(Math.min(clients, 2)),
    '-T', String(seconds), u.pathname.slice(1)];
  return new Promise((resolve, reject) => {
    const p = spawn('pgbench', args, { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', reject);
    p.on('exit', (code) => {
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
      const latency = /latency average = ([\d.]+) ms/.exec(out)?.[1];
      const failed = /number of failed transactions: (\d+)/.exec(out)?.[1];
      if (code !== 0 || !tps) reject(new Error(`pgbench failed (${code}): ${err || out}`));
      else resolve({ tps: Number(tps), latency: Number(latency), failed: Number(failed ?? 0) });
    });
  });
}

/** pgbench -b tpcb-like with a warm-up run first; the wait sampler watches the measured run. */
export async function runPgbench(url, { clients, warmupMs, durationMs, sampler, onBegin, onEnd }) {
  if (warmupMs > 0) await runPgbenchOnce(url, { clients, seconds: Math.max(1, Math.round(warmupMs / 1000)) });
  if (durationMs === 0) return null;
  sampler?.begin();
  await onBegin?.();
  const r = await runPgbenchOnce(url, { clients, seconds: Math.max(1, Math.round(durationMs / 1000)) });
  await onEnd?.();
  sampler?.end();
  return r;
}

// ------------------------------------------------------------------ the real functions over pg

const CLAIMS_SQL = `select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`;
export const CREATE_SQL = 'select to_jsonb(public.create_order($1::jsonb)) as o';
const PAY_SQL = 'select public.mark_order_paid($1, $2, $3) as r';
export const ACCEPT_SQL = 'select public.accept_payment($1, $2, $3) as r';
export const SETTLE_SQL = 'select public.settle_pending($1) as r';

/**
 * One PostgREST-shaped request: its own transaction, role and JWT claims set locally.
 * `beforeCommit(c)`, when given, runs inside the transaction just before its commit.
 */
export async function asRole(c, role, claims, name, text, values, beforeCommit) {
  await c.query({ name: 'begin_rw', text: 'begin isolation level read committed' });
  try {
    await c.query({ name: 'claims', text: CLAIMS_SQL, values: [role, claims] });
    const r = await c.query({ name, text, values });
    if (beforeCommit) await beforeCommit(c);
    await c.query({ name: 'commit', text: 'commit' });
    return r.rows[0];
  } catch (e) {
    await c.query('rollback').catch(() => {});
    throw e;
  }
}

export const memberClaims = (id) => JSON.stringify({ role: 'authenticated', sub: id, aud: 'authenticated' });
export const SERVICE_CLAIMS = JSON.stringify({ role: 'service_role' });

/** One product, or with `lines` 2 two different products (a cart over two queues). */
export function orderBody(products, lines = 1) {
  const first = rand(products.length);
  const picked = lines === 1 ? [first] : [first, (first + 1 + rand(products.length - 1)) % products.length];
  return JSON.stringify({ channel: 'mall', lines: picked.map((i) => ({ product_id: products[i], quantity: 1 })) });
}

/**
 * The payment notification for order `o`: accept_payment then settle_pending (as pay-notify),
 * or mark_order_paid (mode 'single'). Either way the order is settled when this returns.
 */
async function notifyPaid(c, o, mode) {
  const values = [o.order_no, `pay-${o.order_no}`, o.pay_fen];
  if (mode === 'single') {
    await asRole(c, 'service_role', SERVICE_CLAIMS, 'pay', PAY_SQL, values);
    return;
  }
  const { r } = await asRole(c, 'service_role', SERVICE_CLAIMS, 'accept', ACCEPT_SQL, values);
  if (r.settle_queue_id == null) return;
  for (let attempt = 0; attempt < 5; attempt++) {   // as pay-notify: again while `retry`
    const { r: settled } = await asRole(c, 'service_role', SERVICE_CLAIMS, 'settle', SETTLE_SQL, [r.settle_queue_id]);
    if (!settled.retry) return;
  }
}

// The relation locks a transaction holds just before its commit: how many relations, and how
// many of their locks PostgreSQL keeps in the backend's fast-path slots (16 on PostgreSQL 17)
// rather than in the shared lock table, whose partition locks every backend contends for.
const LOCKS_SQL = `
  select count(distinct l.relation)::int as relations,
         count(distinct l.relation) filter (where c.relkind in ('r', 'p'))::int as tables,
         count(distinct l.relation) filter (where c.relkind = 'i')::int as indexes,
         count(distinct l.relation) filter (where c.relkind = 'S')::int as sequences,
         count(*) filter (where l.fastpath)::int as fastpath_locks,
         count(*) filter (where not l.fastpath)::int as shared_table_locks
    from pg_locks l join pg_class c on c.oid = l.relation
   where l.pid = pg_backend_pid() and l.locktype = 'relation' and c.relnamespace <> 'pg_catalog'::regnamespace`;

/**
 * One session makes `warm` orders (create, then accept_payment, which settles the order when
 * its queue is free, as it is here), then one more whose two transactions' locks it counts,
 * as the owner (PostgREST's role reset) just before each commit.
 */
export async function locksPerRequest(url, { members, products, warm = 20 }) {
  const c = await connect(url);
  const order = async (i, counted = {}) => {
    const count = (key) => (counted[key] ? async () => {
      await c.query('reset role');
      counted[key] = (await c.query(LOCKS_SQL)).rows[0];
    } : undefined);
    const { o } = await asRole(c, 'authenticated', memberClaims(members[i % members.length]), 'create', CREATE_SQL,
      [orderBody(products)], count('create_order'));
    const { r } = await asRole(c, 'service_role', SERVICE_CLAIMS, 'accept', ACCEPT_SQL,
      [o.order_no, `pay-${o.order_no}`, o.pay_fen], count('accept_and_settle'));
    if (r.settle_queue_id != null) throw new Error('locksPerRequest: the queue was busy; the order was not settled inline');
    return counted;
  };
  try {
    for (let i = 0; i < warm; i++) await order(i);
    return await order(warm, { create_order: true, accept_and_settle: true });
  } finally {
    await c.end();
  }
}

/** create_order as a random member, then the payment notification. */
export function orderWorker(url, { members, products, mode = 'batched', lines = 1 }) {
  const claims = members.map(memberClaims);
  return async () => {
    const c = await connect(url);
    return {
      async iterate() {
        const t0 = now();
        const { o } = await asRole(c, 'authenticated', claims[rand(claims.length)], 'create', CREATE_SQL, [orderBody(products, lines)]);
        const t1 = now();
        await notifyPaid(c, o, mode);
        return { create: t1 - t0, pay: now() - t1 };
      },
      close: () => c.end(),
    };
  };
}

/**
 * The payment notification only, over pending orders created beforehand: `cursor` ({ orders,
 * next }) is shared by the workers and kept across windows, so that no order is paid twice (a
 * repeated notification would only replay its first result).
 */
export function payWorker(url, cursor, { mode = 'batched' } = {}) {
  return async () => {
    const c = await connect(url);
    return {
      async iterate() {
        if (cursor.next >= cursor.orders.length) throw exhaustedError();
        const o = cursor.orders[cursor.next++];
        await notifyPaid(c, o, mode);
      },
      close: () => c.end(),
    };
  };
}

/** reconcile() as service_role; the rows it returns are the differences. */
export async function reconcile(url) {
  const c = await connect(url);
  try {
    const t0 = now();
    await c.query('begin');
    await c.query(CLAIMS_SQL, ['service_role', SERVICE_CLAIMS]);
    const { rows } = await c.query('select * from public.reconcile()');
    await c.query('commit');
    return { rows, ms: now() - t0 };
  } finally {
    await c.end();
  }
}

// ------------------------------------------------------------------ HTTP: supabase-js → gateway → Postgres

/** Starts the local gateway in its own Node process (as PostgREST is its own process). */
export function startGatewayProcess(dbUrl, poolSize) {
  const child = fork(path.join(HERE, 'gateway-child.cjs'), [], {
    env: { ...process.env, BENCH_GATEWAY_DB: env.authenticatorUrl(dbUrl), BENCH_GATEWAY_POOL: String(poolSize) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}`)));
    child.once('message', (m) => {
      if (m.error) return reject(new Error(m.error));
      child.removeAllListeners('exit');
      resolve({
        url: m.url,
        pid: child.pid,
        close: () => new Promise((r) => {
          child.once('exit', () => r());
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

class NoRealtime {
  constructor() { throw new Error('realtime is not used by the bench'); }
}
const clientOptions = { auth: { persistSession: false, autoRefreshToken: false }, realtime: { transport: NoRealtime } };

/** The same order as orderWorker, as supabase-js rpc() calls through the gateway (as pay-notify). */
export function httpOrderWorker(gatewayUrl, { members, products }) {
  const iat = Math.floor(Date.now() / 1000);
  const tokens = members.map((sub) => signJwt({ aud: 'authenticated', role: 'authenticated', sub, iat, exp: iat + 24 * 3600 }, env.JWT_SECRET));
  return async () => {
    let token = tokens[0];
    const member = createClient(gatewayUrl, env.ANON_KEY, { ...clientOptions, accessToken: async () => token });
    const service = createClient(gatewayUrl, env.SERVICE_ROLE_KEY, clientOptions);
    return {
      async iterate() {
        token = tokens[rand(tokens.length)];
        const t0 = now();
        const product_id = products[rand(products.length)];
        const created = await member.rpc('create_order', { p_order: { channel: 'mall', lines: [{ product_id, quantity: 1 }] } });
        if (created.error) throw new Error(`create_order: ${created.error.message}`);
        const o = created.data;
        const t1 = now();
        const paid = await service.rpc('accept_payment', { p_order_no: o.order_no, p_payment_ref: `pay-${o.order_no}`, p_paid_fen: o.pay_fen });
        if (paid.error) throw new Error(`accept_payment: ${paid.error.message}`);
        for (let attempt = 0; paid.data.settle_queue_id != null && attempt < 5; attempt++) {   // as pay-notify
          const settled = await service.rpc('settle_pending', { p_queue_id: paid.data.settle_queue_id });
          if (settled.error) throw new Error(`settle_pending: ${settled.error.message}`);
          if (!settled.data.retry) break;
        }
        return { create: t1 - t0, pay: now() - t1 };
      },
      close: async () => {},
    };
  };
}

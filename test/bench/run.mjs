// `npm run bench`: settlement throughput, latency and scaling against a same-machine anchor.
//
// Starts its own embedded PostgreSQL 17 (data in .local/bench-pg, port 54360, durable
// settings: fsync, synchronous_commit and full_page_writes on; wal_level logical as on
// Supabase) unless DATABASE_URL names a superuser URL of another Postgres. Migrates a template
// database with the real Supabase CLI; every case gets its own fresh clone of it. Prints one
// table and writes bench/results/<timestamp>.json. reconcile() runs after every case and any
// difference fails the bench.
//
// Cases (one harness, one driver, the same connection counts for everything compared):
//   anchor   pgbench's tpcb-like transaction on a scale-1 dataset (one hot branch row), driven
//            by this harness over node-pg; and pgbench itself (-M prepared) when installed
//   hot      one hot queue (merchant queue on, every order in it), 10³ entries waiting ahead:
//            orders created (member request) and paid = settled (payment notification, as
//            pay-notify sends it: accept_payment, then settle_pending = batched settlement)
//   single   the hot case with one transaction per payment (mark_order_paid), for comparison
//   many     per-product queues: 1,000 products, each queue with 10 waiting entries
//   cart     two-product orders over 10 per-product queues (100 waiting each): every order
//            joins two queues, and batches of different queues credit the same members
//   pay      the payment notification alone (over orders created beforehand), hot queue
//   http     the hot case through supabase-js → local gateway (own process) → Postgres
//   backlog  the hot case at 8 connections with 10³, 10⁵, 10⁶ waiting entries preloaded
//   union    union mode (工会排队, SPEC §13): the same orders over the same 1,000 products, one union
//            queue with 10³ entries waiting, a referral tree (most orders pay an acceleration);
//            measured beside the anchor and the many-queues case at the same connection count
//   unionpayout  the daily payout (run_union_payout) paying 500 whole quotas a day over 10⁴ and
//            over 10⁶ waiting entries (BENCH_UNION_WAITING), three days each: its time must not
//            grow with the entries it does not pay
//
// Noise: the cases of a group (same connection count; or the backlog sizes) are set up first,
// then measured in short windows, round-robin (order reversed every other round), so that
// whatever else the machine does falls on all of them alike. A case's figure is all its
// iterations over all its measured time; the per-window rates are kept to show the spread.
//
// Environment:
//   BENCH_QUICK=1        smoke run (~1 min): one round of 1 s warm-up + 3 s, only the cases the
//                        targets need (anchor, hot, single, HTTP at 8; hot and many at 32), backlog 10³/10⁴
//   BENCH_ROUNDS=3       windows per case; BENCH_WARMUP=2, BENCH_DURATION=4: seconds per window
//   BENCH_CONNS=1,8,32   connection counts; BENCH_BACKLOG=1000,100000,1000000
//   BENCH_CASES=anchor,pgbench,hot,single,many,cart,pay,http,backlog,union,unionpayout   which kinds of case to run
//   BENCH_UNION_WAITING=10000,1000000   waiting entries for the payout timing
//   BENCH_PROFILE=1      one extra hot-queue window at 8 connections with pg_stat_statements
//                        (track = all) and track_functions: where an order's time goes, statement
//                        by statement and function by function (self time), the statements
//                        planned again on most calls (track_planning), and the relation locks
//                        of one order's transactions (fast path or shared lock table)
//   BENCH_STRICT=1       exit 1 when a target is missed (reconcile differences always fail)
//   BENCH_KEEP=1         keep each case's database (rebate_bench_<case>) for inspection
//   BENCH_PG_DIR, BENCH_PG_PORT    the embedded server's data folder and port
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../supabase/local/env.mjs';
import { withDatabase } from '../../supabase/local/migrate.mjs';
import { mergeWindows, runLoad, startCpu, startWaitSampler } from './harness.mjs';
import { createPendingOrders, preloadWaiting } from './preload.mjs';
import {
  FIXTURE, TEMPLATE_DB, cloneDatabase, dropDatabase, prepareTemplate, query, serverSettings, startBenchServer,
} from './server.mjs';
import {
  httpOrderWorker, initTpcb, locksPerRequest, orderWorker, payWorker, pgbenchAvailable, reconcile, resetTpcb, runPgbench,
  startGatewayProcess, tpcbWorker,
} from './workloads.mjs';
import { fmtN, formatReport, ratioRows } from './report.mjs';
import { preloadUnionWaiting, switchToUnion, timeUnionPayouts } from './union.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const list = (v, d) => (v ? v.split(',').map(Number) : d);
const cfg = {
  quick: QUICK,
  rounds: num(process.env.BENCH_ROUNDS, QUICK ? 1 : 3),
  warmupMs: num(process.env.BENCH_WARMUP, QUICK ? 1 : 2) * 1000,
  durationMs: num(process.env.BENCH_DURATION, QUICK ? 3 : 4) * 1000,
  conns: list(process.env.BENCH_CONNS, [1, 8, 32]),
  backlog: list(process.env.BENCH_BACKLOG, QUICK ? [1e3, 1e4] : [1e3, 1e5, 1e6]),
  backlogConns: 8,
  hotPreload: 1000,
  manyPerQueue: 10,
  cases: (process.env.BENCH_CASES ?? 'anchor,pgbench,hot,single,many,cart,pay,http,backlog,union,unionpayout').split(','),
  unionWaiting: list(process.env.BENCH_UNION_WAITING, QUICK ? [1e4, 1e5] : [1e4, 1e6]),
  profile: process.env.BENCH_PROFILE === '1',
  keep: process.env.BENCH_KEEP === '1',
};

const t0 = Date.now();
const log = (m) => console.log(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);

const results = [];
const meta = {
  started_at: new Date().toISOString(),
  host: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, memory_gb: Math.round(os.totalmem() / 2 ** 30),
          platform: `${os.type()} ${os.release()}`, node: process.version, load_average_at_start: os.loadavg() },
  config: cfg,
};

let adminUrl;
let fixtures;
let tpcbUrl;
let pgbench;

const timing = () => ({ warmupMs: cfg.warmupMs, durationMs: cfg.durationMs, cpu: server?.postmasterPid ? { serverPid: server.postmasterPid } : null });
/** An untimed run before a group's first round: after the group's checkpoint, every case
 *  touches its working set once (pages written for the first time after a checkpoint carry a
 *  full-page image; in steady state almost none do). */
const priming = () => ({ ...timing(), durationMs: 0, cpu: null });

/** A fresh clone of the template, arranged by `setup`, vacuumed. */
async function caseDatabase(name, setup) {
  const url = await cloneDatabase(adminUrl, name);
  const t = Date.now();
  const info = (await setup?.(url)) ?? {};
  info.setup_seconds = (Date.now() - t) / 1000;
  // as a long-running database would be: statistics current, visibility map set (the group
  // then checkpoints once, so that no setup write lands inside a measured window)
  const tv = Date.now();
  await query(url, 'vacuum analyze');
  info.vacuum_seconds = (Date.now() - tv) / 1000;
  return { url, info };
}

/** reconcile() after the case; the case database is dropped unless BENCH_KEEP. */
async function reconcileCase(name, url, result) {
  const rec = await reconcile(url);
  result.reconcile = { differences: rec.rows.length, seconds: rec.ms / 1000, sample: rec.rows.slice(0, 5) };
  if (!cfg.keep) await dropDatabase(adminUrl, name);
  if (rec.rows.length) {
    throw new Error(`reconcile() found ${rec.rows.length} differences after ${result.label} @${result.conns}: ${JSON.stringify(rec.rows.slice(0, 5))}`);
  }
}

// ------------------------------------------------------------------ cases
// Each case: prepare() once, window() once per round, finish(result) at the end.

function anchorCase(conns) {
  return {
    kind: 'anchor', id: `anchor_node_${conns}`, group: 'anchor', label: 'anchor: TPC-B-like (node-pg, this harness)', conns, unit: 'tx/s',
    prepare: async () => {},
    window: async (t = timing()) => {
      await resetTpcb(tpcbUrl);
      return runLoad({ workers: conns, url: tpcbUrl, makeWorker: tpcbWorker(tpcbUrl), ...t });
    },
    finish: async () => {},
  };
}

function pgbenchCase(conns) {
  return {
    kind: 'pgbench', id: `anchor_pgbench_${conns}`, group: 'anchor', label: 'anchor: pgbench tpcb-like (-M prepared)', conns, unit: 'tx/s',
    prepare: async () => {},
    window: async (t = timing()) => {
      await resetTpcb(tpcbUrl);
      if (t.durationMs === 0) return runPgbench(tpcbUrl, { clients: conns, ...t });
      const sampler = await startWaitSampler(tpcbUrl);
      let tracker = null;
      let cpuMs = null;
      // the client is pgbench (a child of this process): its CPU is counted as the harness's
      if (t.cpu) Object.assign(t.cpu, { helperPid: process.pid, helperIncludeRoot: false, clientExternal: true });
      const lsn = `select pg_current_wal_insert_lsn()::text as l, (select wal_sync::float8 from pg_stat_wal) as s,
                          (select wal_fpi::float8 from pg_stat_wal) as f`;
      let w0;
      let w1;
      const r = await runPgbench(tpcbUrl, { clients: conns, sampler, ...t,
        onBegin: async () => { w0 = (await query(tpcbUrl, lsn))[0]; tracker = startCpu(t.cpu); },
        onEnd: async () => { cpuMs = tracker?.stop() ?? null; w1 = (await query(tpcbUrl, lsn))[0]; } });
      const waits = await sampler.stop();
      const seconds = Math.max(1, Math.round(cfg.durationMs / 1000));
      const bytes = Number((await query(tpcbUrl, 'select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 as b', [w1.l, w0.l]))[0].b);
      return { iterations: r.tps * seconds, seconds, rate: r.tps, latency_mean: r.latency, errors: r.failed,
               commits: r.tps * seconds, commit_seconds: seconds,
               wal: { bytes, syncs: w1.s - w0.s, fpi: w1.f - w0.f },
               waits: { samples: waits.samples, backends: waits.backends, counts: waits.counts, holderSamples: waits.holderSamples,
                        contendedSamples: waits.contendedSamples, holder: waits.holder },
               cpu_ms: cpuMs ? { server: cpuMs.server, client: cpuMs.helper, helper: null } : null };
    },
    finish: async () => {},
  };
}

/** The hot queue (merchant queue, `preload` entries waiting) with full orders, or the settle step only. */
function hotCase(conns, { preload = cfg.hotPreload, kind = 'hot', id = `${kind}_${conns}`, label, group = kind } = {}) {
  const name = `rebate_bench_${id}`;
  let url;
  let cursor;
  const c = {
    kind, id, group, conns, unit: kind === 'pay' ? 'settles/s' : 'orders/s',
    label: label ?? (kind === 'pay' ? 'hot queue, payment notification only'
      : kind === 'single' ? `hot queue, ${fmtN(preload)} waiting, one tx per payment`
        : `hot queue: one merchant queue, ${fmtN(preload)} waiting`),
    prepare: async () => {
      const db = await caseDatabase(name, async (u) => {
        const t = Date.now();
        await preloadWaiting(u, { queueIds: [fixtures.mallQueue], perQueue: preload, memberIds: fixtures.members, mallProductId: fixtures.hotProduct });
        const info = { preloaded_waiting: preload, preload_seconds: (Date.now() - t) / 1000 };
        if (kind === 'pay') {
          // enough pending orders for a generous rate; a window that uses them up is cut short and says so
          const count = Math.max(2000, Math.round(((cfg.rounds * (cfg.warmupMs + cfg.durationMs) + cfg.warmupMs) / 1000) * 1500));
          cursor = { orders: await createPendingOrders(u, { count, memberIds: fixtures.members, productId: fixtures.hotProduct }), next: 0 };
          info.pending_orders = count;
        }
        return info;
      });
      url = db.url;
      c.setup = db.info;
    },
    window: async (t = timing()) => runLoad({ workers: conns, url, ...t,
      makeWorker: kind === 'pay' ? payWorker(url, cursor)
        : orderWorker(url, { members: fixtures.members, products: [fixtures.hotProduct], mode: kind === 'single' ? 'single' : 'batched' }) }),
    profile: async () => {
      await query(adminUrl, `alter database "${name}" set pg_stat_statements.track = 'all'`);
      await query(adminUrl, `alter database "${name}" set track_functions = 'all'`);
      await query(adminUrl, `alter database "${name}" set pg_stat_statements.track_planning = on`);
      await runLoad({ workers: conns, url, ...timing(), sampleWaits: false,
        makeWorker: orderWorker(url, { members: fixtures.members, products: [fixtures.hotProduct] }),
        onMeasure: async () => {
          await query(url, 'select extensions.pg_stat_statements_reset()');
          await query(url, 'select pg_stat_reset()');
        } });
      await new Promise((r) => setTimeout(r, 1000)); // backends report function counts when idle
      return { statements: await topStatements(url), functions: await topFunctions(url), replanned: await replannedStatements(url),
        relation_locks: await locksPerRequest(url, { members: fixtures.members, products: [fixtures.hotProduct] }) };
    },
    finish: async (result) => {
      if (kind === 'pay') {
        // every notification settled a different order (none was a replay)
        const [{ n }] = await query(url, `select count(*)::int as n from rebate.orders where payment_ref like 'pay-%'`);
        if (n !== cursor.next) throw new Error(`${id}: ${cursor.next} notifications but ${n} orders paid`);
      }
      await reconcileCase(name, url, result);
    },
  };
  return c;
}

function manyCase(conns) {
  const id = `many_${conns}`;
  const name = `rebate_bench_${id}`;
  let url;
  const c = {
    kind: 'many', id, group: 'many', conns, unit: 'orders/s', label: `many queues: ${FIXTURE.products} per-product queues`,
    prepare: async () => {
      const db = await caseDatabase(name, async (u) => {
        await query(u, 'update rebate.settings set merchant_queue = false where id = 1');
        const t = Date.now();
        const n = await preloadWaiting(u, { queueIds: fixtures.productQueues, perQueue: cfg.manyPerQueue, memberIds: fixtures.members,
          mallProductId: fixtures.hotProduct });
        return { preloaded_waiting: n, queues: fixtures.productQueues.length, preload_seconds: (Date.now() - t) / 1000 };
      });
      url = db.url;
      c.setup = db.info;
    },
    window: async (t = timing()) => runLoad({ workers: conns, url, ...t,
      makeWorker: orderWorker(url, { members: fixtures.members, products: fixtures.products }) }),
    finish: (result) => reconcileCase(name, url, result),
  };
  return c;
}

/** Union mode (SPEC §13): every order joins the one union queue and records its pool contribution. */
function unionCase(conns) {
  const id = `union_${conns}`;
  const name = `rebate_bench_${id}`;
  let url;
  const c = {
    kind: 'union', id, group: 'many', conns, unit: 'orders/s', label: `union mode: one union queue, ${fmtN(cfg.hotPreload)} waiting, acceleration`,
    prepare: async () => {
      const db = await caseDatabase(name, async (u) => {
        const t = Date.now();
        await switchToUnion(u, { accelBps: 1000 });
        const n = await preloadUnionWaiting(u, { count: cfg.hotPreload, memberIds: fixtures.members, productId: fixtures.hotProduct });
        return { preloaded_waiting: n, preload_seconds: (Date.now() - t) / 1000 };
      });
      url = db.url;
      c.setup = db.info;
    },
    window: async (t = timing()) => runLoad({ workers: conns, url, ...t,
      makeWorker: orderWorker(url, { members: fixtures.members, products: fixtures.products }) }),
    finish: (result) => reconcileCase(name, url, result),
  };
  return c;
}

/** The daily payout over `waiting` entries: 500 whole quotas paid a day, three days. */
async function unionPayoutTiming(waiting) {
  const name = `rebate_bench_union_payout_${waiting}`;
  const db = await caseDatabase(name, async (u) => {
    const t = Date.now();
    await switchToUnion(u, { accelBps: 0, referrals: false });
    const n = await preloadUnionWaiting(u, { count: waiting, memberIds: fixtures.members, productId: fixtures.hotProduct, daysAgo: 5 });
    return { preloaded_waiting: n, preload_seconds: (Date.now() - t) / 1000 };
  });
  const [{ price_fen: price }] = await query(db.url, 'select price_fen from rebate.products where id = $1', [fixtures.hotProduct]);
  const runs = await timeUnionPayouts(db.url, { memberId: fixtures.members[0], productId: fixtures.hotProduct, priceFen: Number(price), entries: 500 });
  const result = { id: `unionpayout_${waiting}`, group: 'unionpayout', label: `union daily payout, ${fmtN(waiting)} waiting`, conns: 1,
    unit: 'ms/payout', rate: runs.reduce((s, r) => s + r.ms, 0) / runs.length, window_rates: runs.map((r) => r.ms), runs, setup: db.info };
  await reconcileCase(name, db.url, result);
  results.push(result);
  log(`${result.label}: ${runs.map((r) => `${r.ms.toFixed(1)} ms (${r.entries_paid} paid)`).join(' / ')}`);
}

function cartCase(conns) {
  const id = `cart_${conns}`;
  const name = `rebate_bench_${id}`;
  const queues = 10;
  let url;
  const c = {
    kind: 'cart', id, group: 'many', conns, unit: 'orders/s', label: `two-product carts over ${queues} per-product queues`,
    prepare: async () => {
      const db = await caseDatabase(name, async (u) => {
        await query(u, 'update rebate.settings set merchant_queue = false where id = 1');
        const t = Date.now();
        const n = await preloadWaiting(u, { queueIds: fixtures.productQueues.slice(0, queues), perQueue: 100,
          memberIds: fixtures.members, mallProductId: fixtures.hotProduct });
        return { preloaded_waiting: n, queues, preload_seconds: (Date.now() - t) / 1000 };
      });
      url = db.url;
      c.setup = db.info;
    },
    window: async (t = timing()) => runLoad({ workers: conns, url, ...t,
      makeWorker: orderWorker(url, { members: fixtures.members, products: fixtures.products.slice(0, queues), lines: 2 }) }),
    finish: async (result) => {
      // a notification that gave way five times leaves its order to the sweep, as in production
      const [{ r }] = await query(url, `select public.settle_pending() as r`);
      result.left_to_sweep = r.settled;
      await reconcileCase(name, url, result);
    },
  };
  return c;
}

function httpCase(conns) {
  const id = `http_${conns}`;
  const name = `rebate_bench_${id}`;
  let url;
  const c = {
    kind: 'http', id, group: 'http', conns, unit: 'orders/s', label: 'hot queue over HTTP (supabase-js → gateway)',
    prepare: async () => {
      const db = await caseDatabase(name, async (u) => {
        await preloadWaiting(u, { queueIds: [fixtures.mallQueue], perQueue: cfg.hotPreload, memberIds: fixtures.members, mallProductId: fixtures.hotProduct });
        return { preloaded_waiting: cfg.hotPreload, gateway_pool: conns };
      });
      url = db.url;
      c.setup = db.info;
    },
    window: async (t = timing()) => {
      const gateway = await startGatewayProcess(url, conns);
      try {
        if (t.cpu) t.cpu.helperPid = gateway.pid;
        return await runLoad({ workers: conns, url, ...t,
          makeWorker: httpOrderWorker(gateway.url, { members: fixtures.members, products: [fixtures.hotProduct] }) });
      } finally {
        await gateway.close();
      }
    },
    finish: (result) => reconcileCase(name, url, result),
  };
  return c;
}

/** Per-function time (track_functions): self = the function's own statements and plpgsql
 *  overhead, without the functions it calls. */
async function topFunctions(url) {
  return query(url, `
    select f.funcname as name, f.calls::int, round(f.total_time::numeric, 1)::float8 as total_ms,
           round(f.self_time::numeric, 1)::float8 as self_ms,
           round((f.self_time / nullif(f.calls, 0))::numeric, 4)::float8 as self_per_call_ms
      from pg_stat_user_functions f
     where f.calls > 0
     order by f.self_time desc limit 20`);
}

async function topStatements(url) {
  return query(url, `
    select s.calls::int, round(s.total_exec_time::numeric, 1)::float8 as total_ms,
           round(s.mean_exec_time::numeric, 4)::float8 as mean_ms, s.rows::int, s.toplevel,
           left(regexp_replace(s.query, '\\s+', ' ', 'g'), 140) as query
      from extensions.pg_stat_statements s
      join pg_database d on d.oid = s.dbid and d.datname = current_database()
     order by s.total_exec_time desc limit 30`);
}

/** Statements inside functions planned again on most calls: plpgsql keeps a custom plan when
 *  the generic one is estimated dearer, and then pays the planner each time. */
async function replannedStatements(url) {
  return query(url, `
    select s.calls::int, s.plans::int, round(s.total_plan_time::numeric, 1)::float8 as plan_ms,
           round((s.total_plan_time / nullif(s.calls, 0))::numeric, 4)::float8 as plan_per_call_ms,
           left(regexp_replace(s.query, '\\s+', ' ', 'g'), 140) as query
      from extensions.pg_stat_statements s
      join pg_database d on d.oid = s.dbid and d.datname = current_database()
     where not s.toplevel and s.calls >= 100 and s.plans * 2 > s.calls
     order by s.total_plan_time desc limit 20`);
}

/** Groups of cases measured together (compared figures always share a group). */
function plan() {
  const groups = [];
  if (QUICK && !process.env.BENCH_CONNS) {
    groups.push([anchorCase(8), pgbenchCase(8), hotCase(8), hotCase(8, { kind: 'single', group: 'hot' }), httpCase(8)]);
    groups.push([hotCase(32), manyCase(32), cartCase(32)]);
    groups.push([anchorCase(32), manyCase(32), unionCase(32)]);
  } else {
    for (const c of cfg.conns) {
      const g = [anchorCase(c), pgbenchCase(c), hotCase(c), hotCase(c, { kind: 'single', group: 'hot' })];
      if (c >= 8) g.push(manyCase(c), unionCase(c), cartCase(c), hotCase(c, { kind: 'pay' }));
      g.push(httpCase(c));
      groups.push(g);
    }
  }
  groups.push(cfg.backlog.map((n) => hotCase(cfg.backlogConns, { preload: n, kind: 'hot', id: `backlog_${n}`, group: 'backlog',
    label: `backlog: hot queue, ${fmtN(n)} waiting` })));
  return groups
    .map((g) => g.filter((c) => cfg.cases.includes(c.kind === 'hot' && c.group === 'backlog' ? 'backlog' : c.kind))
      .filter((c) => c.kind !== 'pgbench' || pgbench))
    .filter((g) => g.length);
}

async function runGroup(cases) {
  const names = [...new Set(cases.map((c) => `${c.label.split(':')[0]}@${c.conns}`))].join(', ');
  log(`group: ${names} — preparing`);
  for (const c of cases) await c.prepare();
  await query(adminUrl, 'checkpoint');
  for (const c of cases) await c.window(priming());
  const windows = new Map(cases.map((c) => [c.id, []]));
  for (let r = 0; r < cfg.rounds; r++) {
    const order = r % 2 === 0 ? cases : [...cases].reverse();
    for (const c of order) {
      const w = await c.window();
      windows.get(c.id).push(w);
      if (w.errors) log(`${c.id}: ${w.errors} errors (${w.error_sample})`);
    }
  }
  for (const c of cases) {
    const merged = mergeWindows(windows.get(c.id));
    const result = { id: c.id, group: c.group, label: c.label, conns: c.conns, unit: c.unit, ...merged, setup: c.setup };
    if (cfg.profile && c.profile && c.kind === 'hot' && c.group === 'hot' && c.conns === 8) {
      log('profiling the hot queue at 8 connections (pg_stat_statements track = all, track_functions; not in the figures)');
      Object.assign(result, await c.profile());
    }
    await c.finish(result);
    results.push(result);
    const lat = result.latency_ms?.p50 != null ? `, p50 ${result.latency_ms.p50.toFixed(1)} ms, p99 ${result.latency_ms.p99.toFixed(1)} ms` : '';
    log(`${c.label} @${c.conns}: ${result.rate.toFixed(0)} ${c.unit} (windows ${result.window_rates.map((x) => x.toFixed(0)).join(' / ')})${lat}`
      + `${result.errors ? `, ${result.errors} ERRORS (${result.error_sample})` : ''}`);
    if (result.errors) throw new Error(`${c.id}: ${result.errors} failed iterations (${result.error_sample})`);
  }
}

// ------------------------------------------------------------------ main

let server = null;

async function main() {
  server = await startBenchServer({ log });
  adminUrl = server.adminUrl;
  meta.server = await serverSettings(adminUrl);
  log(`server: ${Object.entries(meta.server).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  log(`config: ${cfg.rounds} round(s) of ${cfg.warmupMs / 1000} s warm-up + ${cfg.durationMs / 1000} s measured per case; `
    + `backlog ${cfg.backlog.map(fmtN).join('/')}${QUICK ? ' (BENCH_QUICK)' : ''}`);
  fixtures = await prepareTemplate(adminUrl, { log });
  const tpcbDb = 'rebate_bench_tpcb';
  await query(adminUrl, `drop database if exists ${tpcbDb} with (force)`);
  await query(adminUrl, `create database ${tpcbDb}`);
  tpcbUrl = withDatabase(adminUrl, tpcbDb);
  await initTpcb(tpcbUrl);
  pgbench = await pgbenchAvailable();
  meta.pgbench = pgbench;
  if (!pgbench) log('pgbench not installed (apt-get install -y postgresql-client): its anchor rows are skipped');
  for (const group of plan()) await runGroup(group);
  if (cfg.cases.includes('unionpayout')) for (const n of cfg.unionWaiting) await unionPayoutTiming(n);
  await query(adminUrl, `drop database if exists ${tpcbDb} with (force)`);
}

let failure = null;
try {
  await main();
} catch (e) {
  failure = e;
  console.error(e);
}
meta.finished_at = new Date().toISOString();
meta.total_seconds = (Date.now() - t0) / 1000;
const ratios = ratioRows(results, cfg);
const outDir = path.join(ROOT, 'bench/results');
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `${meta.started_at.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, `${JSON.stringify({ ...meta, failure: failure ? String(failure.message ?? failure) : null, ratios, cases: results }, null, 2)}\n`);
console.log(`\n${formatReport({ meta, results, ratios })}`);
console.log(`\nresults: ${path.relative(ROOT, file)}`);
if (failure) console.log(`\nBENCH FAILED: ${failure.message ?? failure}`);
if (server) {
  try {
    if (!cfg.keep) await query(adminUrl, `drop database if exists ${TEMPLATE_DB} with (force)`);
  } catch { /* the server may be gone */ }
  await server.stop().catch(() => {});
}
const missed = ratios.filter((r) => r.met === false);
if (failure) process.exit(1);
if (missed.length && process.env.BENCH_STRICT === '1') process.exit(1);
process.exit(0);

// The load harness shared by every case: N workers (one connection or HTTP client each) loop
// over one iteration for warm-up + duration; only iterations that start and end inside the
// measured window count. Each figure comes with what explains it:
//  - a separate connection samples pg_stat_activity every 20 ms: what the backends were doing
//    (lock waits on the hot row, WAL flush, CPU, idle in transaction = a client round trip),
//    and what the holder of a contended lock was doing (the hot row's critical section);
//  - CPU time per iteration of the server, the harness and a helper process (from /proc);
//  - WAL bytes per iteration (insert LSN), WAL flushes and full-page images (pg_stat_wal),
//    commits (pg_stat_database).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import pg from 'pg';

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms

export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summarise(values) {
  const s = Float64Array.from(values).sort();
  return {
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
  };
}

/** What a backend is doing, from one pg_stat_activity row. */
function classify(r) {
  if (r.state === 'idle in transaction' || r.state === 'idle in transaction (aborted)') return 'client round trip (in tx)';
  if (r.state === 'idle') return 'idle (between tx)';
  if (r.state !== 'active') return r.state ?? 'unknown';
  if (!r.wait_event_type) return 'CPU';
  if (r.wait_event_type === 'Lock') return `lock wait (${r.wait_event})`;
  if (r.wait_event === 'WalSync' || r.wait_event === 'WALSync' || r.wait_event === 'WALWrite' || r.wait_event === 'WalWrite'
      || r.wait_event === 'WALInsert' || r.wait_event === 'WalInsert') return `WAL (${r.wait_event})`;
  if (r.wait_event_type === 'Client') return `client (${r.wait_event})`;
  return `${r.wait_event_type}:${r.wait_event}`;
}

function shares(counts, backends) {
  const out = {};
  for (const [k, v] of [...counts.entries()].sort((a, b) => b[1] - a[1])) {
    out[k] = Math.round((1000 * v) / Math.max(1, backends)) / 10;
  }
  return out;
}

/** Samples what the database's client backends are doing; stop() returns counts and shares in %. */
export async function startWaitSampler(url, { intervalMs = 20 } = {}) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const { rows: [{ datname }] } = await c.query('select current_database() as datname');
  const counts = new Map();
  const holder = new Map();
  let holderSamples = 0;
  let contendedSamples = 0;
  let samples = 0;
  let backends = 0;
  let running = true;
  let active = false;
  const loop = (async () => {
    while (running) {
      if (active) {
        // every backend's state, and whether it blocks another one (holds a lock someone waits for)
        const { rows } = await c.query({
          name: 'sample',
          text: `with a as (
                   select pid, state, wait_event_type, wait_event,
                          case when wait_event_type = 'Lock' then pg_blocking_pids(pid) end as blockers
                     from pg_stat_activity
                    where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid())
                 select a.state, a.wait_event_type, a.wait_event,
                        exists (select 1 from a w where a.pid = any (w.blockers)) as blocking
                   from a`,
          values: [datname],
        });
        samples += 1;
        if (rows.some((r) => r.blocking && r.wait_event_type !== 'Lock')) contendedSamples += 1;
        for (const r of rows) {
          const k = classify(r);
          counts.set(k, (counts.get(k) ?? 0) + 1);
          backends += 1;
          // the head of a lock queue (it blocks others and waits for no lock itself): what it is
          // doing is what the hot row's critical section is made of
          if (r.blocking && r.wait_event_type !== 'Lock') {
            holder.set(k, (holder.get(k) ?? 0) + 1);
            holderSamples += 1;
          }
        }
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    get samples() { return samples; },
    begin() { active = true; },
    end() { active = false; },
    async stop() {
      running = false;
      await loop;
      await c.end();
      return { samples, backends, counts: Object.fromEntries(counts), shares: shares(counts, backends),
               holderSamples, contendedSamples, holder: Object.fromEntries(holder) };
    },
  };
}

// ------------------------------------------------------------------ CPU accounting
// CPU time is what a unit of work costs whatever else the machine does, so it is the steadier
// figure on a shared machine: the server's (the postmaster and all its children: backends,
// WAL writer, checkpointer, autovacuum) from /proc, the harness's own from process.cpuUsage(),
// and any helper process's (the gateway) from /proc. Linux only; elsewhere the figures are null.

let clkTck = 100;
try {
  clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch { /* keep 100 */ }

function procStat(pid) {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/**
 * Tracks the CPU time of `rootPid`'s direct children (and of rootPid itself unless
 * includeRoot is false) from now until stop(), which returns ms. Processes that start later
 * count in full; the ticks of one that exits are its last reading (taken every 50 ms), so
 * short-lived backends (pgbench's, autovacuum workers) are counted too.
 */
export function startCpuTracker(rootPid, { includeRoot = true } = {}) {
  if (!rootPid || !fs.existsSync('/proc')) return null;
  const base = new Map();
  const last = new Map();
  const known = new Set();
  let first = true;
  const scanAll = () => {
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const pid = Number(name);
      if (pid === rootPid && !includeRoot) continue;
      const st = procStat(name);
      if (!st || (st.ppid !== rootPid && pid !== rootPid)) continue;
      known.add(pid);
      if (!base.has(pid)) base.set(pid, first ? st.ticks : 0);
      last.set(pid, st.ticks);
    }
    first = false;
  };
  const readKnown = () => {
    for (const pid of known) {
      const st = procStat(pid);
      if (st) last.set(pid, st.ticks);
      else known.delete(pid);
    }
  };
  scanAll();
  const fast = setInterval(readKnown, 50);
  const slow = setInterval(scanAll, 250);
  return {
    stop() {
      clearInterval(fast);
      clearInterval(slow);
      readKnown();
      scanAll();
      let ticks = 0;
      for (const [pid, t] of last) ticks += t - (base.get(pid) ?? 0);
      return (ticks * 1000) / clkTck;
    },
  };
}

/** CPU trackers for one measured window: the server's, the harness's own, a helper's. */
export function startCpu(cpu) {
  if (!cpu) return null;
  const server = cpu.serverPid ? startCpuTracker(cpu.serverPid()) : null;
  const helper = cpu.helperPid ? startCpuTracker(cpu.helperPid, { includeRoot: cpu.helperIncludeRoot ?? true }) : null;
  const own = process.cpuUsage();
  return {
    stop() {
      const d = process.cpuUsage(own);
      return {
        server: server ? server.stop() : null,
        client: cpu.clientExternal ? null : (d.user + d.system) / 1000,
        helper: helper ? helper.stop() : null,
      };
    },
  };
}

async function dbCounters(c, datname) {
  const { rows: [r] } = await c.query(
    `select d.xact_commit::float8 as commits, w.wal_sync::float8 as wal_syncs, w.wal_fpi::float8 as wal_fpi,
            pg_current_wal_insert_lsn() as lsn
       from pg_stat_database d cross join pg_stat_wal w where d.datname = $1`, [datname]);
  return r;
}

async function walLsn(c) {
  return (await c.query('select pg_current_wal_insert_lsn() as lsn')).rows[0].lsn;
}

async function walBytes(c, from, to) {
  return Number((await c.query('select pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::float8 as b', [from, to])).rows[0].b);
}

/**
 * Runs `workers` copies of an iteration for warmupMs + durationMs.
 *   makeWorker(i) → { iterate(): Promise<Record<string, number>|void>, close(): Promise<void> }
 * iterate() does one unit of work (an order, a TPC-B transaction) and may return extra
 * per-iteration timings in ms (e.g. { pay: 3.1 }), summarised as p50/p99 like the total.
 * An iteration that throws exhaustedError() ends the run early (pre-created orders used up).
 * Returns the raw window (latencies and wait counts included) for mergeWindows().
 */
export async function runLoad({ workers, warmupMs, durationMs, makeWorker, url, sampleWaits = true, onMeasure, cpu }) {
  const ws = [];
  for (let i = 0; i < workers; i++) ws.push(await makeWorker(i));
  const sampler = url && sampleWaits && durationMs > 0 ? await startWaitSampler(url) : null;
  const stats = url && durationMs > 0 ? new pg.Client({ connectionString: url }) : null;
  let datname = null;
  if (stats) {
    await stats.connect();
    datname = (await stats.query('select current_database() as d')).rows[0].d;
  }

  const t0 = now();
  const tMeasure = t0 + warmupMs;
  const tEnd = tMeasure + durationMs;
  let before = null;
  let cpuTracker = null;
  let cpuUsed = null;
  const lat = [];
  const extra = new Map();
  const errors = [];
  let done = 0;
  let exhausted = false;
  let lastEnd = tMeasure;

  const switcher = (async () => {
    await new Promise((r) => setTimeout(r, Math.max(0, tMeasure - now())));
    await onMeasure?.();
    if (stats) before = await dbCounters(stats, datname);
    cpuTracker = startCpu(cpu);
    sampler?.begin();
  })();

  let lsnEnd = null;
  const cpuStopper = setTimeout(() => {
    cpuUsed = cpuTracker?.stop() ?? null;
    cpuTracker = null;
    if (stats) lsnEnd = walLsn(stats);
  }, Math.max(0, tEnd - now()));
  await Promise.all(ws.map(async (w) => {
    while (now() < tEnd && !exhausted) {
      const start = now();
      let extraTimes;
      try {
        extraTimes = await w.iterate();
      } catch (e) {
        if (e && e.exhausted) { exhausted = true; break; }
        errors.push(e);
        if (errors.length > 20) throw new AggregateError(errors, `too many errors: ${errors[0]?.message}`);
        continue;
      }
      const end = now();
      if (start >= tMeasure && end <= tEnd) {
        done += 1;
        lat.push(end - start);
        lastEnd = Math.max(lastEnd, end);
        if (extraTimes) {
          for (const [k, v] of Object.entries(extraTimes)) {
            if (!extra.has(k)) extra.set(k, []);
            extra.get(k).push(v);
          }
        }
      }
    }
  }));
  await switcher;
  clearTimeout(cpuStopper);
  if (cpuTracker) { cpuUsed = cpuTracker.stop(); cpuTracker = null; }
  const measuredMs = exhausted ? Math.max(1, lastEnd - tMeasure) : durationMs;
  sampler?.end();
  const elapsed = (now() - tMeasure) / 1000;
  const waits = sampler ? await sampler.stop() : null;
  // a backend reports its counters at most once a second, and at exit: close the workers'
  // connections, then count the commits since the window opened (the sampler's reads subtracted)
  await Promise.all(ws.map((w) => w.close()));
  let serverTps = null;
  let wal = null;
  if (stats && before) {
    await new Promise((r) => setTimeout(r, 300));
    const after = await dbCounters(stats, datname);
    serverTps = Math.max(0, after.commits - before.commits - (waits?.samples ?? 0) - 1) / elapsed;
    const end = (await lsnEnd) ?? after.lsn;
    wal = { bytes: await walBytes(stats, before.lsn, end), syncs: after.wal_syncs - before.wal_syncs, fpi: after.wal_fpi - before.wal_fpi };
  }
  await stats?.end();

  return {
    iterations: done,
    seconds: measuredMs / 1000,
    rate: done / (measuredMs / 1000),
    latencies: lat,
    extra: Object.fromEntries(extra),
    errors: errors.length,
    error_sample: errors[0] ? String(errors[0].message ?? errors[0]) : null,
    truncated: exhausted,
    commits: serverTps == null ? null : serverTps * elapsed,
    commit_seconds: elapsed,
    waits: waits ? { samples: waits.samples, backends: waits.backends, counts: waits.counts, holderSamples: waits.holderSamples,
                     contendedSamples: waits.contendedSamples, holder: waits.holder } : null,
    cpu_ms: cpuUsed,
    wal,
  };
}

/**
 * One case's result from its windows (a case runs several short windows, interleaved with the
 * cases it is compared with): rate = all iterations ÷ all measured time; latencies pooled;
 * the spread of the per-window rates shows how noisy the machine was.
 */
export function mergeWindows(windows) {
  const iterations = windows.reduce((a, w) => a + w.iterations, 0);
  const seconds = windows.reduce((a, w) => a + w.seconds, 0);
  const lat = windows.flatMap((w) => w.latencies ?? []);
  const out = {
    iterations,
    seconds,
    rate: iterations / seconds,
    window_rates: windows.map((w) => Math.round(w.rate * 10) / 10),
    latency_ms: lat.length ? summarise(lat) : { mean: mean(windows.map((w) => w.latency_mean).filter((x) => x != null)), p50: null, p99: null },
    errors: windows.reduce((a, w) => a + (w.errors ?? 0), 0),
    error_sample: windows.find((w) => w.error_sample)?.error_sample ?? null,
    truncated: windows.some((w) => w.truncated),
    server_commits_per_s: null,
    waits: null,
  };
  const keys = new Set(windows.flatMap((w) => Object.keys(w.extra ?? {})));
  for (const k of keys) out[`${k}_latency_ms`] = summarise(windows.flatMap((w) => w.extra?.[k] ?? []));
  const withCommits = windows.filter((w) => w.commits != null);
  if (withCommits.length) {
    out.server_commits_per_s = withCommits.reduce((a, w) => a + w.commits, 0) / withCommits.reduce((a, w) => a + w.commit_seconds, 0);
  }
  // CPU per unit of work: only over windows that ran their full length (the CPU is read at the
  // window's end, the iterations counted up to it)
  const withCpu = windows.filter((w) => w.cpu_ms && !w.truncated);
  if (withCpu.length) {
    const its = withCpu.reduce((a, w) => a + w.iterations, 0);
    const secs = withCpu.reduce((a, w) => a + w.seconds, 0);
    const sum = (k) => (withCpu.every((w) => w.cpu_ms[k] != null) ? withCpu.reduce((a, w) => a + w.cpu_ms[k], 0) : null);
    const per = (v) => (v == null || !its ? null : Math.round((v / its) * 1000) / 1000);
    const cores = (v) => (v == null ? null : Math.round((v / (secs * 1000)) * 100) / 100);
    out.cpu = {
      server_ms_per_iteration: per(sum('server')),
      harness_ms_per_iteration: per(sum('client')),
      gateway_ms_per_iteration: per(sum('helper')),
      server_cores: cores(sum('server')),
      harness_cores: cores(sum('client')),
      gateway_cores: cores(sum('helper')),
    };
  }
  // WAL written per unit of work (bytes up to the window's end), and WAL flushes per commit
  const withWal = windows.filter((w) => w.wal && !w.truncated);
  if (withWal.length) {
    const its = withWal.reduce((a, w) => a + w.iterations, 0);
    const commits = withWal.reduce((a, w) => a + (w.commits ?? 0), 0);
    out.wal = {
      bytes_per_iteration: its ? Math.round(withWal.reduce((a, w) => a + w.wal.bytes, 0) / its) : null,
      syncs_per_commit: commits ? Math.round((withWal.reduce((a, w) => a + w.wal.syncs, 0) / commits) * 100) / 100 : null,
      full_page_images_per_iteration: its ? Math.round((withWal.reduce((a, w) => a + w.wal.fpi, 0) / its) * 100) / 100 : null,
    };
  }
  const withWaits = windows.filter((w) => w.waits);
  if (withWaits.length) {
    const counts = new Map();
    let backends = 0;
    for (const w of withWaits) {
      backends += w.waits.backends;
      for (const [k, v] of Object.entries(w.waits.counts)) counts.set(k, (counts.get(k) ?? 0) + v);
    }
    out.waits = shares(counts, backends);
    const held = new Map();
    let heldSamples = 0;
    for (const w of withWaits) {
      heldSamples += w.waits.holderSamples ?? 0;
      for (const [k, v] of Object.entries(w.waits.holder ?? {})) held.set(k, (held.get(k) ?? 0) + v);
    }
    // share of samples in which some backend held a contended lock, and what that holder did
    const contended = withWaits.reduce((a, w) => a + (w.waits.contendedSamples ?? 0), 0);
    const allSamples = withWaits.reduce((a, w) => a + (w.waits.samples ?? 0), 0);
    out.lock_holder = heldSamples ? { contended_share: Math.round((1000 * contended) / Math.max(1, allSamples)) / 10,
                                      states: shares(held, heldSamples) } : null;
  }
  return out;
}

function mean(xs) {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

export function exhaustedError() {
  const e = new Error('work exhausted');
  e.exhausted = true;
  return e;
}

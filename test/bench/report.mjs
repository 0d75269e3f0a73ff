// The bench's table and target ratios (plain text, Markdown-compatible).

const pad = (s, n) => String(s).padEnd(n);
const f1 = (v) => (v == null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

function shortWait(k) {
  return k
    .replace('lock wait (transactionid)', 'lock(row)')
    .replace('lock wait (tuple)', 'lock(tuple)')
    .replace(/^lock wait \((.*)\)$/, 'lock($1)')
    .replace('client round trip (in tx)', 'idle-in-tx')
    .replace('idle (between tx)', 'idle')
    .replace(/^WAL \((.*)\)$/, 'WAL:$1');
}

function waitSummary(waits, n = 4) {
  if (!waits) return '–';
  return Object.entries(waits).slice(0, n).map(([k, v]) => `${shortWait(k)} ${v.toFixed(0)}%`).join(', ');
}

const by = (results, id) => results.find((r) => r.id === id);

function cpuSummary(cpu) {
  if (!cpu || cpu.server_ms_per_iteration == null) return '–';
  const parts = [cpu.server_ms_per_iteration.toFixed(2)];
  if (cpu.harness_ms_per_iteration != null) parts.push(cpu.harness_ms_per_iteration.toFixed(2));
  if (cpu.gateway_ms_per_iteration != null) parts.push(`${cpu.gateway_ms_per_iteration.toFixed(2)}`);
  return parts.join(' + ');
}

const SUP = { 3: '³', 4: '⁴', 5: '⁵', 6: '⁶', 7: '⁷' };
/** 1000 → 10³; other sizes as plain numbers. */
export function fmtN(n) {
  const e = Math.log10(n);
  return Number.isInteger(e) && SUP[e] ? `10${SUP[e]}` : n.toLocaleString('en-US');
}

/** The three targets of the issue (and some context rows), each as measured ÷ reference. */
export function ratioRows(results, cfg) {
  const rows = [];
  const add = (name, a, b, goal, note) => {
    if (!a || !b || !b.rate) return;
    const ratio = a.rate / b.rate;
    // the same ratio round by round (the windows of a group run round-robin): the noise
    const perRound = (a.window_rates ?? []).map((x, i) => x / (b.window_rates?.[i] ?? NaN)).filter(Number.isFinite);
    rows.push({
      name, goal, note,
      measured: `${a.rate.toFixed(0)} ${a.unit} ÷ ${b.rate.toFixed(0)} ${b.unit}`,
      ratio: Math.round(ratio * 100) / 100,
      round_ratios: perRound.map((x) => Math.round(x * 100) / 100),
      met: goal == null ? null : ratio >= goal,
    });
  };
  add('hot queue @8 ÷ TPC-B-like anchor @8 (same harness)', by(results, 'hot_8'), by(results, 'anchor_node_8'), 1.0,
    'orders created, paid and settled per second (3 transactions each) ÷ TPC-B-like tx/s');
  add('batched ÷ one tx per payment, hot queue @8', by(results, 'hot_8'), by(results, 'single_8'), null,
    'context: what batched settlement gains on one hot queue');
  add('batched ÷ one tx per payment, hot queue @32', by(results, 'hot_32'), by(results, 'single_32'), null, 'context');
  add('hot queue @8 ÷ pgbench tpcb-like @8', by(results, 'hot_8'), by(results, 'anchor_pgbench_8'), null, 'context: pgbench is C, not the Node harness');
  add('settle step only @8 ÷ TPC-B-like anchor @8', by(results, 'pay_8'), by(results, 'anchor_node_8'), null,
    'context: one hot-row transaction vs one hot-row transaction');
  const sizes = results.filter((r) => r.group === 'backlog').map((r) => r.setup?.preloaded_waiting).sort((a, b) => a - b);
  if (sizes.length >= 2) {
    const big = sizes[sizes.length - 1];
    add(`backlog ${fmtN(big)} ÷ backlog ${fmtN(sizes[0])} waiting @${cfg.backlogConns}`,
      by(results, `backlog_${big}`), by(results, `backlog_${sizes[0]}`), 0.9,
      big < 1e6 ? 'the 10⁶ case was not run (BENCH_QUICK or BENCH_BACKLOG)' : 'orders/s: cost per order must not grow with the queue');
  }
  add('many queues @32 ÷ hot queue @32', by(results, 'many_32'), by(results, 'hot_32'), 1.5, 'orders/s');
  // cost per unit of work (server CPU), the steadier view on a shared machine
  const cost = (name, a, b, note) => {
    const x = a?.cpu?.server_ms_per_iteration;
    const y = b?.cpu?.server_ms_per_iteration;
    if (x == null || y == null || !y) return;
    rows.push({ name, goal: null, note, measured: `${x.toFixed(2)} ÷ ${y.toFixed(2)} server CPU ms`, ratio: Math.round((x / y) * 100) / 100,
      round_ratios: [], met: null });
  };
  if (sizes.length >= 2) {
    cost(`server CPU per order: backlog ${fmtN(sizes[sizes.length - 1])} ÷ ${fmtN(sizes[0])}`, by(results, `backlog_${sizes[sizes.length - 1]}`),
      by(results, `backlog_${sizes[0]}`), 'context: ~1.0 means the cost of an order does not grow with the queue');
  }
  cost('server CPU: one order @8 ÷ one TPC-B-like tx @8', by(results, 'hot_8'), by(results, 'anchor_node_8'),
    'context: how much heavier an order (2 transactions) is than a TPC-B-like transaction');
  add('many queues @8 ÷ hot queue @8', by(results, 'many_8'), by(results, 'hot_8'), null, 'context');
  for (const c of [8, 32]) {
    add(`union mode @${c} ÷ TPC-B-like anchor @${c}`, by(results, `union_${c}`), by(results, `anchor_node_${c}`), null,
      'context: union orders (create, pay = settle) ÷ TPC-B-like tx/s');
    add(`union mode @${c} ÷ many queues @${c}`, by(results, `union_${c}`), by(results, `many_${c}`), null,
      'union mode must add no hot row: ~1.0 = as fast as 1,000 separate queues');
  }
  const up = results.filter((r) => r.group === 'unionpayout').sort((a, b) => a.setup.preloaded_waiting - b.setup.preloaded_waiting);
  if (up.length >= 2) {
    const [small, big] = [up[0], up[up.length - 1]];
    rows.push({ name: `union payout: ${fmtN(big.setup.preloaded_waiting)} ÷ ${fmtN(small.setup.preloaded_waiting)} waiting (500 paid a day)`,
      goal: null, note: 'time per daily payout; ~1.0 = it does not grow with the entries it does not pay',
      measured: `${big.rate.toFixed(1)} ms ÷ ${small.rate.toFixed(1)} ms`, ratio: Math.round((big.rate / small.rate) * 100) / 100,
      round_ratios: [], met: null });
  }
  add('HTTP @8 ÷ direct @8', by(results, 'http_8'), by(results, 'hot_8'), null, 'context: cost of supabase-js + gateway');
  return rows;
}

export function formatReport({ meta, results, ratios }) {
  const out = [];
  const s = meta.server ?? {};
  out.push(`Postgres ${s.server_version ?? '?'} on ${meta.host.cpus} CPU(s) (${meta.host.cpu_model}), ${meta.host.memory_gb} GB; `
    + `fsync=${s.fsync} synchronous_commit=${s.synchronous_commit} full_page_writes=${s.full_page_writes} `
    + `wal_level=${s.wal_level} wal_sync_method=${s.wal_sync_method} shared_buffers=${s.shared_buffers} `
    + `max_wal_size=${s.max_wal_size} autovacuum=${s.autovacuum}`);
  out.push(`${meta.config.rounds} window(s) per case of ${meta.config.warmupMs / 1000} s warm-up + ${meta.config.durationMs / 1000} s measured, `
    + `round-robin within each group; `
    + `load average at start ${meta.host.load_average_at_start.map((x) => x.toFixed(1)).join(' ')}; total ${meta.total_seconds?.toFixed(0)} s`);
  out.push('');
  const head = ['case', 'conns', 'throughput', 'windows', 'p50 ms', 'p99 ms', 'pay p50/p99 ms', 'commits/s', 'CPU ms/it: pg + node (+gw)', 'pg cores', 'WAL/it', 'backends: share of samples', 'reconcile'];
  const rows = results.map((r) => [
    r.label, r.conns, `${r.rate.toFixed(0)} ${r.unit}`,
    r.window_rates?.length > 1 ? `${Math.min(...r.window_rates).toFixed(0)}–${Math.max(...r.window_rates).toFixed(0)}` : '–',
    r.latency_ms?.p50 != null ? f1(r.latency_ms.p50) : r.latency_ms?.mean != null ? `avg ${f1(r.latency_ms.mean)}` : '–',
    f1(r.latency_ms?.p99),
    r.pay_latency_ms ? `${f1(r.pay_latency_ms.p50)} / ${f1(r.pay_latency_ms.p99)}` : '–',
    r.server_commits_per_s != null ? r.server_commits_per_s.toFixed(0) : '–',
    cpuSummary(r.cpu),
    r.cpu?.server_cores != null ? r.cpu.server_cores.toFixed(2) : '–',
    r.wal?.bytes_per_iteration != null ? `${(r.wal.bytes_per_iteration / 1024).toFixed(1)} kB` : '–',
    waitSummary(r.waits),
    r.reconcile ? (r.reconcile.differences === 0 ? 'clean' : `${r.reconcile.differences} DIFFS`) : '–',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => pad(c, widths[i])).join(' | ')} |`;
  out.push(line(head));
  out.push(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) out.push(line(r));
  out.push('');
  out.push('orders/s: one order = create_order (member request), then the payment notification as pay-notify sends it:');
  out.push('accept_payment (the order is paid and waits in its queue\'s settle inbox) and settle_pending (the inbox is settled');
  out.push('oldest first, each order atomically, one commit per batch: joins the queue, pays the entries ahead FIFO).');
  out.push('"one tx per payment": mark_order_paid instead, which accepts and settles in one transaction.');
  out.push('The hot-queue target compares orders/s (each settled when its iteration ends) with TPC-B-like transactions/s.');
  out.push('backends: what the database\'s client backends were doing (pg_stat_activity sampled every 20 ms):');
  out.push('lock(row) = waiting for the hot row, WAL:* = commit flush, idle-in-tx = waiting for the client inside a transaction.');
  out.push('');
  const rh = ['target', 'measured', 'ratio', 'per round', 'goal', 'result'];
  const rr = ratios.map((r) => [r.name, r.measured, `${r.ratio.toFixed(2)}×`,
    r.round_ratios.length > 1 ? `${Math.min(...r.round_ratios).toFixed(2)}–${Math.max(...r.round_ratios).toFixed(2)}` : '–',
    r.goal == null ? '(context)' : `≥ ${r.goal.toFixed(1)}×`, r.met == null ? '' : r.met ? 'met' : 'MISSED']);
  const rw = rh.map((h, i) => Math.max(h.length, ...rr.map((r) => String(r[i]).length)));
  const rline = (cells) => `| ${cells.map((c, i) => pad(c, rw[i])).join(' | ')} |`;
  out.push(rline(rh));
  out.push(`|${rw.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rr) out.push(rline(r));
  const held = results.filter((r) => r.lock_holder && r.conns > 1);
  if (held.length) {
    out.push('');
    out.push('The hot row\'s critical section: in the samples where a backend held a lock others waited for, what that holder was doing');
    for (const r of held) {
      out.push(`  ${`${r.label} @${r.conns}`.padEnd(58)} contended ${String(r.lock_holder.contended_share.toFixed(0)).padStart(3)}% of samples; holder: ${waitSummary(r.lock_holder.states, 5)}`);
    }
  }
  const prof = results.find((r) => r.statements);
  if (prof) {
    out.push('');
    out.push(`pg_stat_statements (track = all) during ${prof.label} @${prof.conns}, top by total time:`);
    for (const st of prof.statements.slice(0, 15)) {
      out.push(`  ${String(st.total_ms).padStart(9)} ms ${String(st.calls).padStart(7)} calls ${st.mean_ms.toFixed(3).padStart(8)} ms  ${st.toplevel ? 'top ' : 'nest'} ${st.query}`);
    }
    out.push('');
    out.push('functions (track_functions), top by self time (own statements and PL/pgSQL overhead, without the functions called):');
    for (const f of prof.functions ?? []) {
      out.push(`  ${f.name.padEnd(28)} ${String(f.calls).padStart(7)} calls  self ${f.self_per_call_ms.toFixed(3).padStart(6)} ms/call, ${String(f.self_ms).padStart(8)} ms; total ${String(f.total_ms).padStart(8)} ms`);
    }
    out.push('');
    out.push('statements inside functions planned again on most calls (track_planning; a custom plan each time):');
    if (!prof.replanned?.length) out.push('  none');
    for (const st of prof.replanned ?? []) {
      out.push(`  ${String(st.plans).padStart(7)} plans / ${String(st.calls).padStart(7)} calls ${st.plan_per_call_ms.toFixed(3).padStart(7)} ms/call  ${st.query}`);
    }
    if (prof.relation_locks) {
      out.push('');
      out.push('relation locks of one order\'s transactions before commit (fast path: the backend\'s own 16 slots; the rest: the shared lock table):');
      for (const [name, l] of Object.entries(prof.relation_locks)) {
        out.push(`  ${name.padEnd(18)} ${String(l.relations).padStart(3)} relations (${l.tables} tables, ${l.indexes} indexes, ${l.sequences} sequences); `
          + `${l.fastpath_locks} locks in the fast path, ${l.shared_table_locks} in the shared lock table`);
      }
    }
  }
  return out.join('\n');
}

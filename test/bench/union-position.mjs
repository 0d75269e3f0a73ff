// `node test/bench/union-position.mjs` — what a member's union entries cost to show (SPEC
// §13.8: position and the amount ahead of each waiting entry) over a large union queue, before
// and after the prefix marks (rebate.union_ahead, docs/union.md). Not part of `npm test` and not
// a timed test: it prints the figures and writes them to bench/results/union-position-<time>.json.
//
// The queue: BENCH_UNION_WAITING (10⁶) waiting union entries preloaded (test/bench/union.mjs, the
// 1,000 bench members round-robin, so each has 1,000 entries spread over the whole queue), then
// BENCH_UNION_REFUNDS (2,000) of them refunded through refund_order (entries leaving out of
// order, spread over the queue), then a new member buys once through the real order path (the
// tail). "before" is the previous my_union_entries' per-entry scan (count and sum over every
// waiting entry ahead), run as plain SQL; "after" is public.my_union_entries() now, without marks
// (before any payout) and after the daily payout wrote them. reconcile() must be clean.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from '../../supabase/local/env.mjs';
import { cloneDatabase, dropDatabase, prepareTemplate, query, startBenchServer } from './server.mjs';
import { preloadUnionWaiting, switchToUnion } from './union.mjs';
import { reconcile } from './workloads.mjs';

const WAITING = Number(process.env.BENCH_UNION_WAITING ?? 1e6);
const REFUNDS = Number(process.env.BENCH_UNION_REFUNDS ?? 2000);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 5);
const t0 = Date.now();
const log = (m) => console.log(`[union-position ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}`);

// the previous my_union_entries (20261203094157_create_union_queue): one scan per waiting entry
const OLD_SQL = `
  select e.id, a.pos, a.ahead
    from rebate.union_entries e
    left join lateral (
      select count(*) + 1 as pos, coalesce(sum(w.quota_fen - w.received_fen), 0)::bigint as ahead
        from rebate.union_entries w
       where e.status = 'waiting' and w.status = 'waiting' and w.id < e.id) a on e.status = 'waiting'
   where e.member_id = $1
   order by e.id desc
   limit $2`;
const NEW_SQL = `select entry_id, queue_position, ahead_fen from public.my_union_entries() where status = 'waiting' order by entry_id desc`;

async function timed(c, sql, params, { asMember = null } = {}) {
  const ms = [];
  let rows;
  for (let i = 0; i < REPEAT; i++) {
    await c.query('begin');
    if (asMember) {
      await c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
        [JSON.stringify({ role: 'authenticated', sub: asMember, aud: 'authenticated' })]);
    }
    const t = process.hrtime.bigint();
    rows = (await c.query(sql, params)).rows;
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    await c.query('rollback');
  }
  ms.sort((a, b) => a - b);
  return { median_ms: ms[Math.floor(ms.length / 2)], min_ms: ms[0], max_ms: ms[ms.length - 1], rows };
}

const server = await startBenchServer({ log });
const adminUrl = server.adminUrl;
const name = 'rebate_bench_union_position';
const results = { started_at: new Date().toISOString(), waiting: WAITING, refunds: REFUNDS, repeat: REPEAT, cases: {} };
let failure = null;
try {
  const fixtures = await prepareTemplate(adminUrl, { log });
  await dropDatabase(adminUrl, name);
  const url = await cloneDatabase(adminUrl, name);
  await switchToUnion(url, { accelBps: 0, referrals: false });
  let t = Date.now();
  await preloadUnionWaiting(url, { count: WAITING, memberIds: fixtures.members, productId: fixtures.hotProduct, daysAgo: 5 });
  log(`preloaded ${WAITING} waiting union entries in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  // entries leaving out of order: refunds spread evenly over the queue
  t = Date.now();
  const { rows: victims } = await c.query(`
    select o.order_no from rebate.union_entries e join rebate.orders o on o.id = e.order_id
     where e.id % greatest($1::bigint / greatest($2::int, 1), 1) = 7 order by e.id limit $2`, [WAITING, REFUNDS]);
  await c.query(`select set_config('role', 'service_role', false), set_config('request.jwt.claims', '{"role":"service_role"}', false)`);
  for (const v of victims) await c.query(`select public.refund_order($1, $2)`, [v.order_no, `bench-r-${v.order_no}`]);
  await c.query(`reset role`);
  log(`refunded ${victims.length} entries spread over the queue in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  // a new member buys once, through the real path: its one entry is the tail
  await c.query(`select public.upsert_member_by_openid('bench_tail_member')`);
  const { rows: [{ id: tail }] } = await c.query(`select id from rebate.members where openid = 'bench_tail_member'`);
  await c.query('begin');
  await c.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
    [JSON.stringify({ role: 'authenticated', sub: tail, aud: 'authenticated' })]);
  const { rows: [{ o }] } = await c.query(`select to_jsonb(public.create_order($1::jsonb)) as o`,
    [JSON.stringify({ channel: 'mall', lines: [{ product_id: fixtures.hotProduct, quantity: 1 }] })]);
  await c.query('commit');
  await c.query('begin');
  await c.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
  await c.query(`select public.mark_order_paid($1, $2, $3)`, [o.order_no, `bench-pay-${o.order_no}`, o.pay_fen]);
  await c.query('commit');
  t = Date.now();
  await c.query('vacuum analyze');
  log(`vacuum analyze ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const { rows: [{ id: tailEntry }] } = await c.query(`select max(id)::bigint as id from rebate.union_entries where member_id = $1`, [tail]);
  const busy = fixtures.members[0];   // 1,000 entries over the whole queue; the page shows its 200 newest

  const cases = results.cases;
  cases.before_tail_member = await timed(c, OLD_SQL, [tail, 1]);
  log(`before: the tail entry (1 entry, ${WAITING.toLocaleString()} ahead): ${cases.before_tail_member.median_ms.toFixed(1)} ms`);
  cases.before_busy_member_10 = await timed(c, OLD_SQL, [busy, 10]);
  log(`before: a member's 10 newest of 1,000 entries: ${cases.before_busy_member_10.median_ms.toFixed(0)} ms (the page shows 200: ×20)`);
  cases.after_no_marks_tail_member = await timed(c, NEW_SQL, [], { asMember: tail });
  log(`after, no payout yet (no marks): the tail member: ${cases.after_no_marks_tail_member.median_ms.toFixed(1)} ms`);

  // the daily payout writes the marks (pool 0% in the preload: it pays nothing)
  const at = (await c.query(`select ((rebate.shanghai_day(now()) - 1)::timestamp + time '00:11') at time zone 'Asia/Shanghai' as t`)).rows[0].t;
  await c.query('begin');
  await c.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
  t = Date.now();
  await c.query(`select public.run_union_payout($1::timestamptz)`, [at]);
  const firstPayoutMs = Date.now() - t;
  await c.query('commit');
  const { rows: [{ n: marks }] } = await c.query(`select count(*)::int as n from rebate.union_queue_marks`);
  cases.first_payout_with_marks = { ms: firstPayoutMs, marks };
  log(`first payout, writing ${marks} marks over ${WAITING.toLocaleString()} entries: ${firstPayoutMs} ms`);
  await c.query('vacuum analyze rebate.union_queue_marks');

  cases.after_tail_member = await timed(c, NEW_SQL, [], { asMember: tail });
  log(`after: the tail member: ${cases.after_tail_member.median_ms.toFixed(2)} ms`);
  cases.after_busy_member_200 = await timed(c, NEW_SQL, [], { asMember: busy });
  log(`after: a member's 200 newest of 1,000 entries: ${cases.after_busy_member_200.median_ms.toFixed(1)} ms`);

  // the same answers: the tail entry's place, both ways
  const oldTail = cases.before_tail_member.rows[0];
  const newTail = cases.after_tail_member.rows.find((r) => String(r.entry_id) === String(tailEntry));
  results.tail_place = { before: { position: Number(oldTail.pos), ahead_fen: Number(oldTail.ahead) },
                         after: { position: Number(newTail.queue_position), ahead_fen: Number(newTail.ahead_fen) } };
  if (JSON.stringify(results.tail_place.before) !== JSON.stringify(results.tail_place.after)) {
    throw new Error(`the tail's place differs: ${JSON.stringify(results.tail_place)}`);
  }
  const oldBusy = await c.query(OLD_SQL, [busy, 10]);
  const newBusy = cases.after_busy_member_200.rows.slice(0, 10);
  for (let i = 0; i < 10; i++) {
    if (Number(oldBusy.rows[i].pos) !== Number(newBusy[i].queue_position) || Number(oldBusy.rows[i].ahead) !== Number(newBusy[i].ahead_fen)) {
      throw new Error(`entry ${oldBusy.rows[i].id}: before ${oldBusy.rows[i].pos}/${oldBusy.rows[i].ahead}, after ${newBusy[i].queue_position}/${newBusy[i].ahead_fen}`);
    }
  }
  for (const k of Object.keys(cases)) delete cases[k].rows;
  log(`tail place ${JSON.stringify(results.tail_place.after)} (both ways)`);
  await c.end();
  t = Date.now();
  const rec = await reconcile(url);
  results.reconcile = { differences: rec.rows.length, seconds: (Date.now() - t) / 1000 };
  log(`reconcile(): ${rec.rows.length} differences`);
  if (rec.rows.length) throw new Error(`reconcile() found ${JSON.stringify(rec.rows.slice(0, 5))}`);
  if (process.env.BENCH_KEEP !== '1') await dropDatabase(adminUrl, name);
} catch (e) {
  failure = e;
  console.error(e);
} finally {
  await server.stop?.();
}
results.failure = failure ? String(failure.message ?? failure) : null;
const outDir = path.join(ROOT, 'bench/results');
fs.mkdirSync(outDir, { recursive: true });
const file = path.join(outDir, `union-position-${results.started_at.replace(/[:.]/g, '-')}.json`);
fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${path.relative(ROOT, file)}`);
process.exit(failure ? 1 : 0);

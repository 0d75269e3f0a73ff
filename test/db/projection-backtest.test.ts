// Backtest of the projection (docs/projection.md, issue 17): 60 simulated days of orders through
// the real database functions in four independent per-product queues, each day's rows moved one
// day back at its end, so that at day 30 the database holds 30 full days of history. From there
// each queue is projected exactly as the edge function does (projection_queue_input,
// projection_queue_entries, the engine), and every waiting entry whose 80% interval [P10, P90]
// ends within the 30 days still simulated is checked against the day it really completed.
import { projectEntries, simulateQueue } from '../../client/lib/projection';
import { buy, callNum, createMembers, createProduct, enableRebate, expectHealthy } from '../helpers/engine';
import { createTestDb, TestDb } from '../helpers/db';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db, { extraction_bps: 5000, default_reward_bps: 10000 });
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

/** A small seeded generator for the order flow (independent of the engine's). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

async function endOfDay(): Promise<void> {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`); // retentions are append-only
    await c.query(`update rebate.order_lines set settled_at = settled_at - interval '1 day' where settled_at is not null`);
    await c.query(`update rebate.retentions set created_at = created_at - interval '1 day'`);
    await c.query(`update rebate.queues set created_at = created_at - interval '1 day'`);
    await c.query('commit');
  } finally {
    c.release();
  }
}

test('from day 30, how often the real completion day fell inside P10–P90', async () => {
  const DAYS = 60;
  const FROM = 30;
  const rand = lcg(20261203);
  const products: number[] = [];
  for (let i = 0; i < 4; i++) products.push(await createProduct(db, { priceFen: 10000 }));
  const { rows: queues } = await db.admin.query(
    `select id::int, product_id::int from rebate.queues where product_id = any($1::bigint[]) order by product_id`, [products]);
  // the queues opened the day before day 1, so day 1 is a full day
  await db.admin.query(`update rebate.queues set created_at = created_at - interval '1 day' where product_id = any($1::bigint[])`, [products]);
  const members = await createMembers(db, 12);
  const completedOn = new Map<number, number>();
  const projected: Array<{ entry: number; p10: number; p90: number }> = [];

  for (let day = 1; day <= DAYS; day++) {
    for (const product of products) {
      // 0–6 orders a day, 1–3 pieces each: a stationary but lumpy flow
      const n = Math.floor(rand() * 7);
      for (let k = 0; k < n; k++) await buy(db, members[Math.floor(rand() * members.length)], product, 1 + Math.floor(rand() * 3));
    }
    const { rows: done } = await db.admin.query(`select id::int from rebate.entries where status = 'completed'`);
    for (const r of done) if (!completedOn.has(r.id)) completedOn.set(r.id, day);
    await endOfDay();

    if (day === FROM) {
      for (const q of queues) {
        const [input] = await callNum(db, 'service_role', null, `select (public.projection_queue_input($1)).*`, [q.id]);
        const history = (input.daily_inflow_fen as string[]).map(Number);
        expect(history).toHaveLength(FROM);
        const model = simulateQueue(history, { paused: input.paused, clearingInDays: null }, { seed: q.id });
        if (model.kind !== 'ok') throw new Error(`no estimate for queue ${q.id}: ${model.reason}`);
        const rows = await callNum(db, 'service_role', null, `select * from public.projection_queue_entries($1, 0, 100000)`, [q.id]);
        const { rows: ids } = await db.admin.query(
          `select seq::int, id::int from rebate.entries where queue_id = $1 and status = 'waiting' order by seq`, [q.id]);
        expect(ids.map((r) => r.seq)).toEqual(rows.map((r) => r.seq));
        const p = projectEntries(model, { remainingFen: rows.map((r) => r.remaining_fen), eligible: rows.map((r) => r.eligible) });
        rows.forEach((_, i) => projected.push({ entry: ids[i].id, p10: p.p10Day[i], p90: p.p90Day[i] }));
      }
    }
  }

  // entries whose whole interval lies within the 30 days observed after the projection
  const judged = projected.filter((x) => x.p10 > 0 && x.p90 > 0 && x.p90 <= DAYS - FROM);
  let inside = 0;
  let early = 0;
  let late = 0;
  for (const x of judged) {
    const on = completedOn.get(x.entry);
    const actual = on === undefined ? Infinity : on - FROM;
    if (actual < x.p10) early++;
    else if (actual > x.p90) late++;
    else inside++;
  }
  const coverage = inside / judged.length;
  console.log(`projection backtest: ${judged.length} entries of ${projected.length} waiting at day ${FROM} have P90 ≤ ${DAYS - FROM} days; ` +
    `real completion inside P10–P90: ${inside} (${(coverage * 100).toFixed(1)}%), earlier ${early}, later ${late}`);
  expect(judged.length).toBeGreaterThanOrEqual(20);
  expect(coverage).toBeGreaterThanOrEqual(0.5);
  expect(coverage).toBeLessThanOrEqual(1);
}, 600_000);

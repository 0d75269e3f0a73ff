// Estimated completion (SPEC §14): my_entries and queue_process carry the queue's recent
// inflow (extraction settled in the last 7 / 30 days, less what a pause retained), the queue's
// age, and my_entries the entry's place (position, ahead_count, ahead_amount_fen).
import { createTestDb, TestDb } from '../helpers/db';
import { buy, callNum, createMembers, createProduct, enableRebate, expectHealthy, setSettings } from '../helpers/engine';
import { myEntries } from '../helpers/rules';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db); // reward 100%, extraction 10%
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

/** Moves an order's lines (and their retentions) back in time. */
async function settledDaysAgo(orderNo: string, days: number): Promise<void> {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`); // retentions are append-only
    await c.query(`
      with l as (
        update rebate.order_lines l set settled_at = now() - make_interval(days => $2)
          from rebate.orders o where o.id = l.order_id and o.order_no = $1
        returning l.id)
      update rebate.retentions r set created_at = now() - make_interval(days => $2) from l where r.source_line_id = l.id`,
      [orderNo, days]);
    await c.query('commit');
  } finally {
    c.release();
  }
}

async function process(member: string, entryId: number) {
  const [{ v }] = await callNum(db, 'authenticated', member, `select to_jsonb(public.queue_process($1, 0)) as v`, [entryId]);
  return v;
}

test('my_entries keeps every column and adds the place and the inflow at the end', async () => {
  const { rows } = await db.admin.query(`
    select array_agg(a.attname order by a.attnum) as names
      from pg_proc p, unnest(p.proargnames) with ordinality a(attname, attnum)
     where p.oid = 'public.my_entries(text,bigint,integer)'::regprocedure and a.attnum > 3`);
  expect(rows[0].names).toEqual(['entry_id', 'queue_id', 'queue_name', 'seq', 'status', 'status_label', 'entitlement_fen',
    'received_fen', 'remaining_fen', 'closed_fen', 'progress_bps', 'reward_bps', 'rule_code', 'rule_label', 'order_id',
    'order_no', 'item_name', 'order_completed', 'created_at', 'ended_at',
    'can_draw', 'drawn_bps', 'can_exchange', 'lottery_config', 'converted_asset', 'converted_amount',
    'position', 'ahead_count', 'ahead_amount_fen', 'inflow_7d_fen', 'inflow_30d_fen', 'queue_created_at']);
});

test('inflow over 7 and 30 days in exact fen; position and amount ahead; paused retention left out', async () => {
  const product = await createProduct(db, { priceFen: 12345 }); // extraction 1234.5 → 1235 fen a line
  const [a, b, c, d, e] = await createMembers(db, 5);
  const oa = await buy(db, a, product); // nothing waiting: retained (no_waiting_entry), still inflow
  const ob = await buy(db, b, product); // pays a 1235
  await buy(db, c, product);            // pays a 1235
  await settledDaysAgo(oa.order_no, 40); // outside both windows
  await settledDaysAgo(ob.order_no, 10); // inside 30 days only

  const [ea] = await myEntries(db, a);
  expect(ea).toMatchObject({ status: 'waiting', remaining_fen: 12345 - 2470, position: 1, ahead_count: 0, ahead_amount_fen: 0,
    inflow_7d_fen: 1235, inflow_30d_fen: 2470 });
  const { rows: q } = await db.admin.query(`select created_at from rebate.queues where id = $1`, [ea.queue_id]);
  expect(new Date(ea.queue_created_at).getTime()).toBe(new Date(q[0].created_at).getTime());

  // c is third: a (9875 left) and b (12345) ahead
  const [ec] = await myEntries(db, c);
  expect(ec).toMatchObject({ position: 3, ahead_count: 2, ahead_amount_fen: 9875 + 12345, inflow_7d_fen: 1235, inflow_30d_fen: 2470 });

  // queue_process answers the same figures
  const pc = await process(c, ec.entry_id);
  expect(pc).toMatchObject({ position: 3, ahead_count: 2, ahead_amount_fen: 22220, inflow_7d_fen: 1235, inflow_30d_fen: 2470 });
  expect(new Date(pc.queue_created_at).getTime()).toBe(new Date(q[0].created_at).getTime());

  // paused: the line extracts but the extraction is retained, so it adds no inflow
  await setSettings(db, { paused: true });
  await buy(db, d, product);
  await setSettings(db, { paused: false });
  const { rows: kept } = await db.admin.query(`select reason, amount_fen::int from rebate.retentions where reason = 'paused'`);
  expect(kept).toEqual([{ reason: 'paused', amount_fen: 1235 }]);
  expect(await myEntries(db, c).then((r) => r[0])).toMatchObject({ inflow_7d_fen: 1235, inflow_30d_fen: 2470 });

  // another payment today counts in both windows
  await buy(db, e, product);
  expect(await myEntries(db, c).then((r) => r[0])).toMatchObject({ inflow_7d_fen: 2470, inflow_30d_fen: 3705 });
});

test('entries no longer waiting have no place and no inflow; hidden amounts hide the inflow', async () => {
  const product = await createProduct(db, { priceFen: 1000 });
  const [a, b] = await createMembers(db, 2);
  await buy(db, a, product);
  for (let i = 0; i < 10; i += 1) await buy(db, b, product); // 10 × 100 fen completes a's 1000
  const [done] = await myEntries(db, a);
  expect(done).toMatchObject({ status: 'completed', position: null, ahead_count: null, ahead_amount_fen: null,
    inflow_7d_fen: null, inflow_30d_fen: null, queue_created_at: null });
  const pa = await process(a, done.entry_id);
  expect(pa).toMatchObject({ inflow_7d_fen: null, inflow_30d_fen: null, queue_created_at: null });

  await setSettings(db, { show_waiting_amount: false });
  const [waiting] = await myEntries(db, b); // b's newest entry, behind their other nine
  expect(waiting.status).toBe('waiting');
  expect(waiting).toMatchObject({ position: 10, ahead_count: 9, ahead_amount_fen: null, inflow_7d_fen: null, inflow_30d_fen: null });
  expect(waiting.queue_created_at).not.toBeNull();
  expect(await process(b, waiting.entry_id)).toMatchObject({ ahead_amount_fen: null, inflow_7d_fen: null, inflow_30d_fen: null });
  await setSettings(db, { show_waiting_amount: true });
});

// The projection's database side (docs/projection.md): a queue's daily inflow over full
// Asia/Shanghai days with its settings (projection_queue_input), its waiting entries in order
// (projection_queue_entries), and one of my entries' place (my_entry_projection_input).
import { createTestDb, TestDb } from '../helpers/db';
import { buy, callNum, complete, createMembers, createProduct, enableRebate, expectHealthy, setSettings } from '../helpers/engine';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db); // reward 100%, extraction 10%
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

async function shift(sql: string, params: unknown[]): Promise<void> {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`); // retentions are append-only
    await c.query(sql, params);
    await c.query('commit');
  } finally {
    c.release();
  }
}

/** Moves an order's lines (and their retentions) back by whole days. */
async function settledDaysAgo(orderNo: string, days: number): Promise<void> {
  await shift(`
    with l as (
      update rebate.order_lines l set settled_at = l.settled_at - make_interval(days => $2)
        from rebate.orders o where o.id = l.order_id and o.order_no = $1
      returning l.id)
    update rebate.retentions r set created_at = r.created_at - make_interval(days => $2) from l where r.source_line_id = l.id`,
  [orderNo, days]);
}

async function queueOf(productId: number): Promise<number> {
  const { rows } = await db.admin.query(`select id::int from rebate.queues where product_id = $1`, [productId]);
  return rows[0].id;
}

async function input(queueId: number) {
  const [r] = await callNum(db, 'service_role', null, `select (public.projection_queue_input($1)).*`, [queueId]);
  return { ...r, daily_inflow_fen: (r.daily_inflow_fen as string[]).map(Number) };
}

test('daily inflow over full Shanghai days since the queue opened, paused retention out, waiting totals', async () => {
  const product = await createProduct(db, { priceFen: 10000 }); // extraction 1000 a line
  const queue = await queueOf(product);
  await db.admin.query(`update rebate.queues set created_at = created_at - interval '10 days' where id = $1`, [queue]);
  const [a, b, c, d] = await createMembers(db, 4);
  const oa = await buy(db, a, product); // retained, no one waiting: still inflow
  const ob = await buy(db, b, product);
  const oc = await buy(db, c, product);
  await setSettings(db, { paused: true });
  const od = await buy(db, d, product); // retained 'paused': not inflow
  await setSettings(db, { paused: false });
  await settledDaysAgo(oa.order_no, 9);
  await settledDaysAgo(ob.order_no, 3);
  await settledDaysAgo(oc.order_no, 3);
  await settledDaysAgo(od.order_no, 2);

  const r = await input(queue);
  // the opening day is partial: days −9 … −1 (today excluded)
  expect(r.daily_inflow_fen).toEqual([1000, 0, 0, 0, 0, 0, 2000, 0, 0]);
  expect(r.daily_lines).toEqual([1, 0, 0, 0, 0, 0, 2, 1, 0]);
  expect(r).toMatchObject({ queue_id: queue, closed: false, plugin_on: true, paused: false, reward_rule: 'queue_order',
    extraction_bps: 1000, reward_bps: 10000, next_clearing_at: null,
    waiting_count: 4, waiting_fen: 40000 - 2000, eligible_waiting_fen: 40000 - 2000 });

  // no full day yet: an empty history
  const fresh = await createProduct(db);
  expect(await input(await queueOf(fresh))).toMatchObject({ daily_inflow_fen: [], daily_lines: [], first_day: null, waiting_count: 0 });

  // at most 90 days
  await db.admin.query(`update rebate.queues set created_at = created_at - interval '200 days' where id = $1`, [queue]);
  expect((await input(queue)).daily_inflow_fen).toHaveLength(90);
});

test('the next clearing instant for each schedule; null when off', async () => {
  const product = await createProduct(db);
  const queue = await queueOf(product);
  await db.admin.query(`update rebate.settings set clearing_enabled = true, clearing_schedule = 'daily', clearing_time = '00:00' where id = 1`);
  const { rows: [daily] } = await db.admin.query(
    `select ((date_trunc('day', now() at time zone 'Asia/Shanghai') + interval '1 day') at time zone 'Asia/Shanghai') as t`);
  expect(new Date((await input(queue)).next_clearing_at).getTime()).toBe(daily.t.getTime());
  for (const schedule of ['weekly', 'monthly']) {
    await db.admin.query(`update rebate.settings set clearing_schedule = $1, clearing_weekday = 3, clearing_monthday = 31 where id = 1`, [schedule]);
    const next = new Date((await input(queue)).next_clearing_at).getTime();
    const days = (next - Date.now()) / 86400000;
    expect(days).toBeGreaterThan(0);
    expect(days).toBeLessThanOrEqual(schedule === 'weekly' ? 7 : 31);
    // and it is a scheduled instant: the latest one at that moment is itself
    const { rows: [due] } = await db.admin.query(
      `select rebate.clearing_due_at(s, $1::timestamptz) as t from rebate.settings s where id = 1`, [new Date(next).toISOString()]);
    expect(due.t.getTime()).toBe(next);
  }
  await db.admin.query(`update rebate.settings set clearing_enabled = false where id = 1`);
  expect((await input(queue)).next_clearing_at).toBeNull();
});

test('waiting entries in order with their eligibility, paged by seq; my entry with the eligible amount ahead', async () => {
  const product = await createProduct(db, { priceFen: 5000 });
  const queue = await queueOf(product);
  const [a, b, c, stranger] = await createMembers(db, 4);
  const oa = await buy(db, a, product);
  await buy(db, b, product); // pays a 500
  const oc = await buy(db, c, product); // pays a 500
  await setSettings(db, { reward_rule: 'completed_queue_order' });
  await complete(db, oa.order_no);
  const rows = await callNum(db, 'service_role', null, `select * from public.projection_queue_entries($1)`, [queue]);
  expect(rows).toEqual([
    { seq: 1, remaining_fen: 4000, eligible: true },
    { seq: 2, remaining_fen: 5000, eligible: false },
    { seq: 3, remaining_fen: 5000, eligible: false },
  ]);
  expect(await callNum(db, 'service_role', null, `select seq from public.projection_queue_entries($1, 1, 1)`, [queue])).toEqual([{ seq: 2 }]);
  await expect(db.call('service_role', null, `select * from public.projection_queue_entries($1, 0, 0)`, [queue])).rejects.toThrow('invalid_limit');
  await expect(db.call('service_role', null, `select * from public.projection_queue_input(-1)`)).rejects.toThrow('queue_not_found');

  const { rows: [ec] } = await db.admin.query(`select e.id::int from rebate.entries e join rebate.orders o on o.id = e.order_id where o.order_no = $1`, [oc.order_no]);
  const mine = await callNum(db, 'authenticated', c, `select * from public.my_entry_projection_input($1)`, [ec.id]);
  expect(mine).toEqual([{ entry_id: ec.id, queue_id: queue, status: 'waiting', position: 3, ahead_count: 2, remaining_fen: 5000,
    eligible: false, eligible_ahead_fen: 4000, amounts_shown: true }]);
  await setSettings(db, { reward_rule: 'queue_order', show_waiting_amount: false });
  const [hidden] = await callNum(db, 'authenticated', c, `select * from public.my_entry_projection_input($1)`, [ec.id]);
  expect(hidden).toMatchObject({ eligible: true, eligible_ahead_fen: null, remaining_fen: 5000, amounts_shown: false });
  await setSettings(db, { show_waiting_amount: true });
  const [open] = await callNum(db, 'authenticated', c, `select * from public.my_entry_projection_input($1)`, [ec.id]);
  expect(open.eligible_ahead_fen).toBe(4000 + 5000);
  await expect(db.call('authenticated', stranger, `select * from public.my_entry_projection_input($1)`, [ec.id])).rejects.toThrow('entry_not_found');
});

// The `projection` edge function over real HTTP (docs/projection.md): a member's waiting entry
// gets a range from the queue's daily inflow, a refusal with its reason when there is no
// basis, the amounts switch is honoured, and another member's entry is not found.
import { createTestDb, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, enableRebate, setSettings } from '../helpers/engine';
import { memberClient } from '../helpers/gateway';
import { startTestStack, TestStack } from '../helpers/stack';

let db: TestDb;
let stack: TestStack;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db); // reward 100%, extraction 10%
  stack = await startTestStack(db);
}, 90_000);
afterAll(async () => {
  await stack?.close();
  await db?.close();
});

async function daysAgo(orderNo: string, days: number): Promise<void> {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`);
    await c.query(`
      with l as (
        update rebate.order_lines l set settled_at = l.settled_at - make_interval(days => $2)
          from rebate.orders o where o.id = l.order_id and o.order_no = $1
        returning l.id)
      update rebate.retentions r set created_at = r.created_at - make_interval(days => $2) from l where r.source_line_id = l.id`,
    [orderNo, days]);
    await c.query('commit');
  } finally {
    c.release();
  }
}

async function entryOf(orderNo: string): Promise<number> {
  const { rows } = await db.admin.query(
    `select e.id::int from rebate.entries e join rebate.orders o on o.id = e.order_id where o.order_no = $1`, [orderNo]);
  return rows[0].id;
}

async function project(member: string, entryId: number) {
  const client = await memberClient(stack.gateway.url, member);
  return client.functions.invoke('projection', { body: { entry_id: entryId } });
}

test('ten days of 10.00 a day: the exact day, as a range; too little history: 无法估计', async () => {
  const product = await createProduct(db, { priceFen: 10000 }); // extraction 1000 a line
  await db.admin.query(`update rebate.queues set created_at = created_at - interval '11 days' where product_id = $1`, [product]);
  const members = await createMembers(db, 11);
  const orders = [];
  for (const m of members.slice(0, 10)) orders.push(await buy(db, m, product));
  for (let k = 0; k < 10; k++) await daysAgo(orders[k].order_no, 10 - k);
  // the first entry received 9 × 10.00 and needs 10.00; the second 100.00; the third its own 100.00
  const third = await entryOf(orders[2].order_no);
  const { data, error } = await project(members[2], third);
  expect(error).toBeNull();
  expect(data).toMatchObject({
    entry_id: third, status: 'waiting',
    estimate: { kind: 'range', need_fen: 21000, p10_day: 21, p50_day: 21, p90_day: 21, p_before_clearing: null },
    headline: '预计 21 天（80% 区间）',
    method: { runs: 1000, history_days: 10, min_history_days: 7, window_days: 10 },
  });
  expect(data.note).toContain('近 10 天');

  // the amounts hidden: refused, as they would show through
  await setSettings(db, { show_waiting_amount: false });
  expect((await project(members[2], third)).data).toMatchObject({ estimate: { kind: 'unknown', reason: 'hidden' }, headline: '无法估计' });
  await setSettings(db, { show_waiting_amount: true });

  // another member's entry
  const other = await project(members[3], third);
  expect(other.error).not.toBeNull();
  expect(await other.error.context.json()).toMatchObject({ code: 'entry_not_found' });

  // a queue two days old: no basis
  const young = await createProduct(db, { priceFen: 10000 });
  await db.admin.query(`update rebate.queues set created_at = created_at - interval '3 days' where product_id = $1`, [young]);
  const o = await buy(db, members[10], young);
  expect((await project(members[10], await entryOf(o.order_no))).data).toMatchObject({
    estimate: { kind: 'unknown', reason: 'short_history' }, headline: '无法估计', method: { history_days: 2 },
  });
  const bad = await project(members[10], -1);
  expect(await bad.error.context.json()).toMatchObject({ code: 'invalid_entry' });
}, 60_000);

// A waiting union entry's position and the amount ahead of it (SPEC §13.8) are counted from the
// queue's prefix marks (written by the daily payout) less what left out of order between the
// head and the entry (acceleration, refunds, exchanges) — never by reading the entries waiting
// ahead (rebate.union_ahead; docs/union.md). Here marks are written every 3 entries, so that
// every path (a mark below, entries after it, no mark yet) is taken, and each waiting entry's
// place is compared with a plain count over the waiting entries.
import { createTestDb, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, reconcile, refund } from '../helpers/engine';
import { bind } from '../helpers/referral';
import { closeDay as closeLines, enableUnion } from '../helpers/union';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

/** closeDay, with the contributions taken back today moved to the simulated day too (as the union driver does). */
async function closeDay(db: TestDb, offset: number) {
  const c = await db.admin.connect();
  try {
    await c.query('begin');
    await c.query(`set local session_replication_role = replica`);   // past the append-only trigger: a test's time machine
    await c.query(`update rebate.union_takebacks set day = rebate.shanghai_day(now()) + $1::int where day = rebate.shanghai_day(now())`, [offset]);
    await c.query('commit');
  } finally { c.release(); }
  return closeLines(db, offset);
}

/** Every waiting entry's place by a plain count (the definition), by member. */
async function plainPlaces(): Promise<Map<string, Array<{ entry_id: number; queue_position: number; ahead_fen: number }>>> {
  const { rows } = await db.admin.query(`
    select e.member_id, e.id::int as entry_id,
           (select count(*) from rebate.union_entries w where w.status = 'waiting' and w.id < e.id)::int + 1 as queue_position,
           (select coalesce(sum(w.quota_fen - w.received_fen), 0) from rebate.union_entries w
             where w.status = 'waiting' and w.id < e.id)::int as ahead_fen
      from rebate.union_entries e where e.status = 'waiting' order by e.id`);
  const by = new Map<string, any[]>();
  for (const r of rows) by.set(r.member_id, [...(by.get(r.member_id) ?? []), { entry_id: r.entry_id, queue_position: r.queue_position, ahead_fen: r.ahead_fen }]);
  return by;
}

async function expectPlaces(members: string[]) {
  const plain = await plainPlaces();
  for (const m of members) {
    const mine = await db.call('authenticated', m, `select entry_id::int, queue_position::int, ahead_fen::int
                                                      from public.my_union_entries() where status = 'waiting' order by entry_id`);
    expect({ m, mine }).toEqual({ m, mine: plain.get(m) ?? [] });
  }
}

test('positions and amounts ahead from the marks equal a plain count, through accelerations, refunds, exchanges and payouts', async () => {
  await enableUnion(db, { union_accel_bps: 3000 });
  const prices = [10000, 3333, 25000, 777];
  const products = [];
  for (const priceFen of prices) products.push(await createProduct(db, { priceFen }));
  const members = await createMembers(db, 6);
  await bind(db, members[3], members[0]); await bind(db, members[4], members[1]); await bind(db, members[5], members[0]);
  let seed = 20261203;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  const orders: string[] = [];
  for (let day = 6; day >= 1; day--) {
    for (let i = 0; i < 12; i++) {
      const o = await buy(db, members[rnd(members.length)], products[rnd(products.length)]);
      orders.push(o.order_no);
      if (rnd(7) === 0) await refund(db, orders[rnd(orders.length)], `R-${day}-${i}`).catch((e) => {
        if (e.code !== 'P0001') throw e;       // already refunded
      });
      if (rnd(6) === 0) {
        const { rows } = await db.admin.query(`select id::int, member_id from rebate.union_entries where status = 'waiting' order by random() limit 1`);
        if (rows[0]) await db.call('authenticated', rows[0].member_id, `select public.exchange_union_entry($1, 'points')`, [rows[0].id]);
      }
      if (rnd(5) === 0) await db.admin.query(`select rebate.union_mark_queue(3)`);   // as a payout would, more often
    }
    await expectPlaces(members);      // entries after the last mark, marks below
    await closeDay(db, -day);          // pays from the head; writes marks (every 1000: one, at the last entry)
    await expectPlaces(members);
  }
  const { rows: [{ n }] } = await db.admin.query(`select count(*)::int as n from rebate.union_queue_marks`);
  expect(n).toBeGreaterThan(5);
  const { rows: [{ w }] } = await db.admin.query(`select count(*)::int as w from rebate.union_entries where status = 'waiting'`);
  expect(w).toBeGreaterThan(5);
});

test('the console\'s union queue numbers positions from the marks too', async () => {
  await enableUnion(db);
  const p = await createProduct(db, { priceFen: 10000 });
  const members = await createMembers(db, 3);
  const staff = members[0];
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations')`, [staff]);
  for (let i = 0; i < 9; i++) await buy(db, members[i % 3], p);
  await db.admin.query(`select rebate.union_mark_queue(2)`);
  const { rows: ids } = await db.admin.query(`select id::int from rebate.union_entries order by id`);
  const o = await db.admin.query(`select o.order_no from rebate.orders o join rebate.union_entries e on e.order_id = o.id where e.id = $1`, [ids[2].id]);
  await refund(db, o.rows[0].order_no, 'R-3');                     // the third entry leaves out of order
  const page = await db.call('authenticated', staff, `select public.console_union_queue($1, 3) as q`, [ids[4].id]);
  expect(page[0].q.map((x: any) => [Number(x.entry_id), x.position])).toEqual([[ids[5].id, 5], [ids[6].id, 6], [ids[7].id, 7]]);
});

// The mode switch (SPEC §13 Decision: refused while an entry of the current mode waits) and the
// settlements of the mode it leaves exclude each other, so no entry of the old mode can appear
// after the switch's check: a settlement in progress makes the switch wait (and then refuse);
// a switch in progress makes the settlement wait (and then settle in the new mode). Transactions
// are held open on their own connections; "waits" is read from pg_locks, never from a clock.
import type { PoolClient } from 'pg';
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { createMembers, createOrder, createProduct, enableRebate, entries, mallOrder, pay, reconcile } from '../helpers/engine';
import { enableUnion, unionEntries } from '../helpers/union';

let db: TestDb;
const held: PoolClient[] = [];
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => {
  for (const c of held.splice(0)) { await c.query('rollback').catch(() => {}); c.release(); }
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

async function open(role: 'service_role' | null = null): Promise<PoolClient> {
  const c = await db.admin.connect();
  held.push(c);
  await c.query('begin');
  if (role) await c.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`, [role, JSON.stringify({ role })]);
  return c;
}

/** Resolves once some backend waits for a lock of this kind (and, for a relation, on this table). */
async function someoneWaits(locktype: 'relation' | 'advisory', relation?: string): Promise<void> {
  for (;;) {
    const { rows } = await db.admin.query(
      `select count(*)::int as n from pg_locks where not granted and locktype = $1 and ($2::text is null or relation = $2::regclass)`,
      [locktype, relation ?? null]);
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('classic → union: a classic settlement in progress makes the switch wait, then the switch is refused (its entry waits)', async () => {
  await enableRebate(db);
  const p = await createProduct(db, { priceFen: 10000 });
  const [a] = await createMembers(db, 1);
  const o = await createOrder(db, a, mallOrder([[p, 1]]));
  const c1 = await open('service_role');
  await c1.query(`select public.mark_order_paid($1, $2, $3)`, [o.order_no, 'PAY-1', o.pay_fen]);   // a classic entry, not committed
  const switching = db.admin.query(`update rebate.settings set programme_mode = 'union' where id = 1`);
  switching.catch(() => {});
  await someoneWaits('relation', 'rebate.queues');   // without the lock the switch would see no waiting entry and go through
  await c1.query('commit');
  await expectDbError(switching, 'mode_switch_refused');
  expect((await entries(db)).map((e) => e.status)).toEqual(['waiting']);
  expect((await db.admin.query(`select programme_mode from rebate.settings`)).rows[0].programme_mode).toBe('classic');
});

test('classic → union: a payment arriving during the switch waits for it, then settles in union mode (no classic entry)', async () => {
  await enableRebate(db);
  const p = await createProduct(db, { priceFen: 10000 });
  const [a] = await createMembers(db, 1);
  const o = await createOrder(db, a, mallOrder([[p, 1]]));
  const c2 = await open();
  await c2.query(`update rebate.settings set programme_mode = 'union' where id = 1`);   // switched, not committed
  const paying = pay(db, o);   // reads 'classic', then waits for its queue behind the switch
  paying.catch(() => {});
  await someoneWaits('relation', 'rebate.queues');
  await c2.query('commit');
  await paying;
  expect(await entries(db)).toEqual([]);
  expect((await unionEntries(db)).map((e) => [e.order_no, e.quota_fen, e.status])).toEqual([[o.order_no, 11000, 'waiting']]);
  const { rows } = await db.admin.query(`select count(*)::int as n from rebate.settle_inbox`);
  expect(rows[0].n).toBe(0);
});

test('union → classic: a union payment that read the old mode gives way (40001) and, retried, settles in classic mode', async () => {
  await enableUnion(db);
  const p = await createProduct(db, { priceFen: 10000 });
  const [a] = await createMembers(db, 1);
  const o = await createOrder(db, a, mallOrder([[p, 1]]));
  const c2 = await open();
  await c2.query(`update rebate.settings set programme_mode = 'classic' where id = 1`);   // holds the union key
  const paying = pay(db, o, 'PAY-U');   // reads 'union', then waits for the union key
  paying.catch(() => {});
  await someoneWaits('advisory');
  await c2.query('commit');
  await expectDbError(paying, 'programme_mode_changed', '40001');
  expect(await unionEntries(db)).toEqual([]);
  await pay(db, o, 'PAY-U');            // WeChat Pay notifies again
  expect((await entries(db)).map((e) => [e.order_no, e.status])).toEqual([[o.order_no, 'waiting']]);
  expect(await unionEntries(db)).toEqual([]);
});

test('union → classic: a union settlement in progress makes the switch wait, then the switch is refused', async () => {
  await enableUnion(db);
  const p = await createProduct(db, { priceFen: 10000 });
  const [a] = await createMembers(db, 1);
  const o = await createOrder(db, a, mallOrder([[p, 1]]));
  const c1 = await open('service_role');
  await c1.query(`select public.mark_order_paid($1, $2, $3)`, [o.order_no, 'PAY-2', o.pay_fen]);
  const switching = db.admin.query(`update rebate.settings set programme_mode = 'classic' where id = 1`);
  switching.catch(() => {});
  await someoneWaits('advisory');
  await c1.query('commit');
  await expectDbError(switching, 'mode_switch_refused');
  expect((await unionEntries(db)).map((e) => e.status)).toEqual(['waiting']);
});

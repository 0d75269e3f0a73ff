// Subscribe messages in the database (SPEC §12, docs/messages.md): templates per moment, the
// member's acceptances (one send per accept), push rows written with the message, claiming
// (FOR UPDATE SKIP LOCKED, one acceptance per row, concurrent claimers disjoint), reports with
// back-off and dead letters, and the console's stats, list, retry and configuration (audited).
// reconcile() stays clean (no money moves here).
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, enableRebate, reconcile } from '../helpers/engine';
import { makeAdmin, rpc } from '../helpers/referral';

let db: TestDb;
let admin: string;
let ops: string;
let fin: string;
let alice: string;
let bob: string;

beforeEach(async () => {
  db = await createTestDb();
  [admin, ops, fin, alice, bob] = await createMembers(db, 5);
  await makeAdmin(db, admin);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations'), ($2, 'finance')`, [ops, fin]);
  await db.admin.query(`update rebate.members set openid = 'o_' || replace(id::text, '-', '') where openid is null`);
});
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

const configure = async () => {
  await rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', 'TJOINED')`);
  await rpc(db, ops, `select public.admin_set_subscribe_template('rebate_progress', 'TPROGRESS')`);
  await rpc(db, ops, `select public.admin_set_subscribe_template('withdrawal_result', 'TWITHDRAW')`);
};
const record = (member: string, results: unknown) => rpc(db, member, `select public.record_subscriptions($1)`, [JSON.stringify(results)]);
const remaining = async (member: string, template = 'TJOINED') =>
  (await db.admin.query(`select remaining from rebate.subscriptions where member_id = $1 and template_id = $2`, [member, template])).rows[0]?.remaining;
async function message(member: string, kind = 'entry_joined') {
  const { rows } = await db.admin.query(`insert into rebate.messages (member_id, kind, title, body, amount_fen)
                                         values ($1, $2, '排队返利排队成功', '订单已加入排队', 100) returning id::int`, [member, kind]);
  return rows[0].id as number;
}
const pushOf = async (messageId: number) =>
  (await db.admin.query(`select id::int, status, reserved, attempts, last_errcode,
                                extract(epoch from next_attempt_at - updated_at)::int as backoff_s
                           from rebate.message_pushes where message_id = $1`, [messageId])).rows[0];
const claim = (limit = 100, lease = 60) =>
  db.call('service_role', null, `select push_id::int, openid, template_id, kind, kind_label, amount_fen::int, fields
                                   from public.message_push_claim($1, $2)`, [limit, lease]);
const report = async (id: number, outcome: string, errcode: number | null = null, msgid: string | null = null) =>
  (await db.call('service_role', null, `select public.message_push_report($1, $2, $3, 'x', $4) as s`, [id, outcome, errcode, msgid]))[0].s;

test('templates by moment: none until configured; 运营 configures (audited), members read, others refused', async () => {
  expect(await rpc(db, alice, `select public.subscribe_templates('paid')`)).toEqual([]);
  await expectDbError(rpc(db, alice, `select public.admin_set_subscribe_template('queue_joined', 'TX')`), 'forbidden_role');
  await expectDbError(rpc(db, fin, `select public.admin_set_subscribe_template('queue_joined', 'TX')`), 'forbidden_role');
  await configure();
  expect(await rpc(db, alice, `select public.subscribe_templates('paid')`)).toEqual([
    { key: 'queue_joined', title: '排队成功通知', template_id: 'TJOINED' },
    { key: 'rebate_progress', title: '返利进度通知', template_id: 'TPROGRESS' },
  ]);
  expect((await rpc(db, alice, `select public.subscribe_templates('queue')`)).map((t: any) => t.key)).toEqual(['rebate_progress']);
  expect((await rpc(db, alice, `select public.subscribe_templates('withdrawal')`)).map((t: any) => t.key)).toEqual(['withdrawal_result']);
  await expectDbError(rpc(db, alice, `select public.subscribe_templates('login')`), 'invalid_moment');
  await expectDbError(rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', 'bad id!')`), 'invalid_template');
  await expectDbError(rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', 'TPROGRESS')`), 'invalid_template');
  await expectDbError(rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', 'T1', '{"thing1": "password"}')`), 'invalid_template');
  await expectDbError(rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', 'T1', '{"color1": "title"}')`), 'invalid_template');
  await expectDbError(rpc(db, ops, `select public.admin_set_subscribe_template('nope', 'T1')`), 'template_not_found');
  const set = await rpc(db, admin, `select public.admin_set_subscribe_template('queue_joined', 'TJOINED2', '{"thing1": "title", "character_string2": "order_no"}')`);
  expect(set).toEqual({ key: 'queue_joined', template_id: 'TJOINED2', fields: { thing1: 'title', character_string2: 'order_no' } });
  const { rows } = await db.admin.query(`select action, object_id, before ->> 'template_id' as b, after ->> 'template_id' as a
                                           from rebate.audit_log where action = 'subscribe_template.update' order by id`);
  expect(rows).toHaveLength(4);
  expect(rows[3]).toEqual({ action: 'subscribe_template.update', object_id: 'queue_joined', b: 'TJOINED', a: 'TJOINED2' });
  // null switches a template off: not asked
  await rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', null)`);
  expect((await rpc(db, alice, `select public.subscribe_templates('paid')`)).map((t: any) => t.key)).toEqual(['rebate_progress']);
});

test('acceptances: each accept one more send (at most 50), reject keeps, ban drops, unknown ids ignored', async () => {
  await configure();
  expect(await record(alice, { TJOINED: 'accept', TPROGRESS: 'reject', TUNKNOWN: 'accept' })).toEqual({ recorded: 2, accepted: 1 });
  expect(await remaining(alice)).toBe(1);
  expect(await remaining(alice, 'TPROGRESS')).toBe(0);
  await record(alice, { TJOINED: 'accept' });
  await record(alice, { TJOINED: 'reject' });
  await record(alice, { TJOINED: 'filter' });
  expect(await remaining(alice)).toBe(2);
  await record(alice, { TJOINED: 'ban' });
  expect(await remaining(alice)).toBe(0);
  for (let i = 0; i < 55; i += 1) await record(bob, { TJOINED: 'accept' });
  expect(await remaining(bob)).toBe(50);
  const { rows } = await db.admin.query(`select accepted_total from rebate.subscriptions where member_id = $1`, [bob]);
  expect(rows[0].accepted_total).toBe(55);
  await expectDbError(record(alice, { TJOINED: 'yes' }), 'invalid_subscriptions');
  await expectDbError(record(alice, ['accept']), 'invalid_subscriptions');
  await expectDbError(db.call('anon', null, `select public.record_subscriptions('{}')`), /permission denied/);
});

test('a real order writes entry_joined; with an acceptance it gets a push row; claiming takes the acceptance', async () => {
  await configure();
  await enableRebate(db);
  await record(alice, { TJOINED: 'accept' });
  await buy(db, alice, await createProduct(db, { priceFen: 16800 }));
  const { rows } = await db.admin.query(`select p.status, m.kind from rebate.message_pushes p join rebate.messages m on m.id = p.message_id
                                          where p.member_id = $1`, [alice]);
  expect(rows).toEqual([{ status: 'pending', kind: 'entry_joined' }]);
  expect(await remaining(alice)).toBe(1);   // taken by the claim, not by the order
  const claimed = await claim();
  expect(claimed).toEqual([expect.objectContaining({ template_id: 'TJOINED', kind: 'entry_joined', kind_label: '排队成功',
    amount_fen: expect.any(Number), fields: { thing1: 'title', amount2: 'amount', time3: 'time', thing4: 'body' } })]);
  expect(claimed[0].openid).toMatch(/^o_/);
  expect(await remaining(alice)).toBe(0);
  // bob never accepted: his order writes no push row
  await buy(db, bob, await createProduct(db, { priceFen: 100 }));
  expect((await db.admin.query(`select count(*)::int as n from rebate.message_pushes where member_id = $1`, [bob])).rows[0].n).toBe(0);
});

test('two messages, one acceptance: the first is claimed, the second skipped; a report changes a row once', async () => {
  await configure();
  await record(alice, { TJOINED: 'accept' });
  const m1 = await message(alice);
  const m2 = await message(alice);
  const claimed = await claim();
  expect(claimed.map((c: any) => c.push_id)).toEqual([(await pushOf(m1)).id]);
  expect(await pushOf(m2)).toMatchObject({ status: 'skipped', reserved: false });
  expect(await report(claimed[0].push_id, 'sent', null, '1234567890123456789')).toBe('sent');
  expect(await report(claimed[0].push_id, 'retry', -1)).toBe('sent');   // a repeat changes nothing
  const { rows } = await db.admin.query(`select msgid, sent_total from rebate.message_pushes p join rebate.subscriptions s
                                           using (member_id, template_id) where p.message_id = $1`, [m1]);
  expect(rows).toEqual([{ msgid: '1234567890123456789', sent_total: 1 }]);
  await expectDbError(db.call('service_role', null, `select public.message_push_report(1, 'sent', null, null, null)`), 'invalid_outcome');
  await expectDbError(db.call('service_role', null, `select public.message_push_report(999999, 'failed')`), 'push_not_found');
  await expectDbError(rpc(db, admin, `select * from public.message_push_claim()`), /permission denied/);
});

test('retry with back-off 60/120/240/480 s, dead after 5 attempts; 43101 zeroes the acceptances; 运营 retries a dead letter (audited)', async () => {
  await configure();
  await record(alice, { TJOINED: 'accept' });
  await record(alice, { TJOINED: 'accept' });
  const m1 = await message(alice);
  const backoffs: number[] = [];
  for (let i = 1; i <= 5; i += 1) {
    const [c] = await claim();
    expect(c).toBeDefined();
    const status = await report(c.push_id, 'retry', -1);
    const row = await pushOf(m1);
    expect(row.attempts).toBe(i);
    if (i < 5) {
      expect(status).toBe('pending');
      backoffs.push(row.backoff_s);
      expect(await claim()).toEqual([]);   // not due yet
      await db.admin.query(`update rebate.message_pushes set next_attempt_at = now() where message_id = $1`, [m1]);
    } else {
      expect(status).toBe('dead');
    }
  }
  expect(backoffs).toEqual([60, 120, 240, 480]);
  expect(await remaining(alice)).toBe(1);   // one acceptance taken once, not per attempt

  // WeChat says the member has none left: ours drop to 0 too
  const m2 = await message(alice);
  const [c2] = await claim();
  expect(await report(c2.push_id, 'not_subscribed', 43101)).toBe('skipped');
  expect(await remaining(alice)).toBe(0);
  expect(await pushOf(m2)).toMatchObject({ status: 'skipped', last_errcode: 43101 });

  // the console
  const dead = await rpc(db, ops, `select coalesce(jsonb_agg(to_jsonb(x)), '[]') from public.admin_list_message_pushes() x`);
  expect(dead).toEqual([expect.objectContaining({ id: (await pushOf(m1)).id, status: 'dead', kind: 'entry_joined', attempts: 5, last_errcode: -1 })]);
  const stats = await rpc(db, ops, `select public.admin_message_push_stats()`);
  expect(stats.by_status).toEqual({ pending: 0, sending: 0, sent: 0, skipped: 1, dead: 1 });
  expect(stats.templates.find((t: any) => t.key === 'queue_joined')).toMatchObject({ template_id: 'TJOINED', subscribers: 0, remaining: 0 });
  await expectDbError(rpc(db, fin, `select public.admin_retry_message_push($1)`, [(await pushOf(m1)).id]), 'forbidden_role');
  await expectDbError(rpc(db, ops, `select public.admin_retry_message_push($1)`, [(await pushOf(m2)).id]), 'push_not_dead');
  expect(await rpc(db, ops, `select public.admin_retry_message_push($1)`, [(await pushOf(m1)).id])).toEqual({ id: (await pushOf(m1)).id, status: 'pending' });
  expect(await pushOf(m1)).toMatchObject({ status: 'pending', attempts: 0, reserved: true });
  const [again] = await claim();
  expect(again.push_id).toBe((await pushOf(m1)).id);   // keeps its acceptance: claimed although none is left
  expect(await report(again.push_id, 'sent', null, '42')).toBe('sent');
  const { rows } = await db.admin.query(`select actor_id, before ->> 'status' as b, after ->> 'status' as a from rebate.audit_log
                                          where action = 'message_push.retry'`);
  expect(rows).toEqual([{ actor_id: ops, b: 'dead', a: 'pending' }]);
});

test('concurrent claimers: disjoint rows, each acceptance taken once, no deadlock', async () => {
  await configure();
  const members = await createMembers(db, 12);
  await db.admin.query(`update rebate.members set openid = 'o_' || replace(id::text, '-', '') where openid is null`);
  for (const m of members) {
    await record(m, { TJOINED: 'accept', TPROGRESS: 'accept' });
    await record(m, { TJOINED: 'accept' });
  }
  // per member: 3 joined (2 acceptances) and 1 received (1 acceptance), interleaved across members
  for (let round = 0; round < 3; round += 1) for (const m of members) await message(m, 'entry_joined');
  for (const m of members) await message(m, 'entry_received');
  const batches = await Promise.all(Array.from({ length: 6 }, async () => {
    const mine: number[] = [];
    for (;;) {
      const rows = await claim(4);
      if (rows.length === 0) return mine;
      mine.push(...rows.map((r: any) => r.push_id));
    }
  }));
  const all = batches.flat();
  expect(new Set(all).size).toBe(all.length);
  expect(all).toHaveLength(12 * 3);
  const { rows } = await db.admin.query(`select status, count(*)::int as n from rebate.message_pushes group by status order by status`);
  expect(rows).toEqual([{ status: 'sending', n: 36 }, { status: 'skipped', n: 12 }]);
  const left = await db.admin.query(`select sum(remaining)::int as r from rebate.subscriptions`);
  expect(left.rows[0].r).toBe(0);
});

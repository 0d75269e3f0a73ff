// Subscribe messages in union mode (SPEC §12, §13; docs/messages.md): the union message kinds go
// out through the same two templates as the classic ones — joined → 排队成功通知 (queue_joined);
// accelerated, paid out, voided, exchanged → 返利进度通知 (rebate_progress) — each with its
// phrase and its amount.
import { createTestDb, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, reconcile, refund } from '../helpers/engine';
import { bind } from '../helpers/referral';
import { rpc } from '../helpers/referral';
import { closeDay, enableUnion, unionEntries } from '../helpers/union';

let db: TestDb;
beforeEach(async () => {
  db = await createTestDb();
});
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

const claim = () =>
  db.call('service_role', null, `select template_id, kind, kind_label, amount_fen::int from public.message_push_claim(100, 60) order by push_id`);

test('union joined, accelerated, paid out and voided each reach the member through the right template', async () => {
  const [ops, r, x] = await createMembers(db, 3);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations')`, [ops]);
  await db.admin.query(`update rebate.members set openid = 'o_' || replace(id::text, '-', '') where openid is null`);
  await rpc(db, ops, `select public.admin_set_subscribe_template('queue_joined', 'TJOINED')`);
  await rpc(db, ops, `select public.admin_set_subscribe_template('rebate_progress', 'TPROGRESS')`);
  for (const m of [r, x]) {
    await rpc(db, m, `select public.record_subscriptions($1)`, [JSON.stringify({ TJOINED: 'accept' })]);
    for (let i = 0; i < 5; i++) await rpc(db, m, `select public.record_subscriptions($1)`, [JSON.stringify({ TPROGRESS: 'accept' })]);
  }
  const { rows: t } = await db.admin.query(`select key, kinds from rebate.subscribe_templates where key in ('queue_joined', 'rebate_progress') order by key`);
  expect(t[0].kinds).toEqual(expect.arrayContaining(['entry_joined', 'union_joined']));
  expect(t[1].kinds).toEqual(expect.arrayContaining(['union_accelerated', 'union_paid_out', 'union_voided', 'union_exchanged']));

  await enableUnion(db, { union_accel_bps: 1000 });
  const p = await createProduct(db, { priceFen: 10000 });
  await buy(db, r, p);                               // R: union_joined 110.00
  await bind(db, x, r);
  const ox = await buy(db, x, p);                    // X: union_joined 110.00; R: union_accelerated 10.00
  expect(await claim()).toEqual([
    { template_id: 'TJOINED', kind: 'union_joined', kind_label: '排队成功', amount_fen: 11000 },
    { template_id: 'TJOINED', kind: 'union_joined', kind_label: '排队成功', amount_fen: 11000 },
    { template_id: 'TPROGRESS', kind: 'union_accelerated', kind_label: '推广加速', amount_fen: 1000 },
  ]);
  await closeDay(db, -1);                            // pool 120.00 − 10.00: R's remaining 100.00 paid out
  await refund(db, ox.order_no, 'R-X');              // X's waiting entry voided: 110.00 forfeited
  expect((await unionEntries(db)).map((e) => e.status)).toEqual(['completed', 'voided']);
  expect(await claim()).toEqual([
    { template_id: 'TPROGRESS', kind: 'union_paid_out', kind_label: '分红到账', amount_fen: 10000 },
    { template_id: 'TPROGRESS', kind: 'union_voided', kind_label: '名额失效', amount_fen: 11000 },
  ]);
});

// A line's terms in union mode (SPEC §13.1–13.2), decided in rebate.line_terms like every
// line's: preview_order shows the union quota (rule union_quota, no lottery, no ratio chain) and
// the payment fixes the same; the limits of SPEC §5 count union entries and decide by the union
// quota, not by the classic reward ratio.
import { createTestDb, TestDb } from '../helpers/db';
import { buy, callNum, createMembers, createProduct, grantBalance, mallOrder, reconcile } from '../helpers/engine';
import { createAdmin, setPlugin, setRule } from '../helpers/rules';
import { enableUnion, unionEntries } from '../helpers/union';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => {
  expect(await reconcile(db)).toEqual([]);
  await db.close();
});

async function preview(member: string, body: unknown): Promise<any> {
  const [{ p }] = await callNum(db, 'authenticated', member, `select to_jsonb(public.preview_order($1::jsonb)) as p`, [JSON.stringify(body)]);
  return p;
}

async function lineWhy(orderNo: string, lineNo = 1): Promise<string | null> {
  const { rows } = await db.admin.query(`select l.no_entry_reason from rebate.order_lines l join rebate.orders o on o.id = l.order_id
                                          where o.order_no = $1 and l.line_no = $2`, [orderNo, lineNo]);
  return rows[0].no_entry_reason;
}

test('preview_order in union mode shows each line\'s union quota; the payment fixes exactly that', async () => {
  await enableUnion(db, { union_quota_bps: 12500 });
  // classic rules that must not apply in union mode: a lottery and an independent ratio
  await setPlugin(db, { lottery_mode: 'fixed', lottery_options: [{ bps: 5000, weight: 1 }] });
  const p1 = await createProduct(db, { priceFen: 10000 });
  const p2 = await createProduct(db, { priceFen: 3333 });
  await setRule(db, 'product', p2, { reward_bps: 30000 });
  const off = await createProduct(db, { priceFen: 5000 });
  await db.admin.query(`update rebate.products set rebate_enabled = false where id = $1`, [off]);
  const [m] = await createMembers(db, 1);
  const body = mallOrder([[p1, 2], [p2, 1], [off, 1]]);
  const p = await preview(m, body);
  expect(p.lines.map((l: any) => [l.earns, l.no_entry_reason, l.reward_bps, l.reward_rule_code, l.reward_rule_label, l.entitlement_fen, l.lottery]))
    .toEqual([
      [true, null, 12500, 'union_quota', '工会分红额度', 25000, false],   // 200.00 × 125%
      [true, null, 12500, 'union_quota', '工会分红额度', 4166, false],    // 33.33 × 125% = 41.6625 → 41.66
      [false, 'product_rebate_off', null, null, null, 0, false],
    ]);
  const [{ o }] = await callNum(db, 'authenticated', m, `select to_jsonb(public.create_order($1::jsonb)) as o`, [JSON.stringify(body)]);
  await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3)`, [o.order_no, 'PAY-T1', o.pay_fen]);
  expect((await unionEntries(db)).map((e) => [e.line_no, e.quota_fen])).toEqual([[1, 25000], [2, 4166]]);
  expect(await lineWhy(o.order_no, 3)).toBe('product_rebate_off');
});

test('preview_order in union mode: the deduction switch and a reward window say why a line gets no quota', async () => {
  await enableUnion(db, { deduction_participates: false });
  const p1 = await createProduct(db, { priceFen: 10000 });
  const [m] = await createMembers(db, 1);
  await grantBalance(db, m, 'points', 1000);
  const p = await preview(m, mallOrder([[p1, 1]], { points_fen: 1000 }));
  expect(p.lines[0]).toMatchObject({ earns: false, no_entry_reason: 'deduction_excluded', reward_rule_code: 'union_quota', entitlement_fen: 0 });
  await setRule(db, 'product', p1, { reward_windows: [{ from: '2020-01-01T00:00:00+08:00', to: '2020-01-02T00:00:00+08:00' }] });
  expect((await preview(m, mallOrder([[p1, 1]]))).lines[0]).toMatchObject({ earns: false, no_entry_reason: 'outside_reward_window' });
});

test('limits in union mode count by the union quota, not the classic reward ratio (0 here), and count union entries', async () => {
  await enableUnion(db);
  await db.admin.query(`update rebate.settings set default_reward_bps = 0 where id = 1`);   // classic: would earn nothing
  const p1 = await createProduct(db, { priceFen: 10000 });
  await setRule(db, 'product', p1, { reward_bps: 0, daily_limit: 2 });
  const [a, b] = await createMembers(db, 2);
  const o1 = await buy(db, a, p1); const o2 = await buy(db, a, p1); const o3 = await buy(db, a, p1);
  expect([await lineWhy(o1.order_no), await lineWhy(o2.order_no), await lineWhy(o3.order_no)]).toEqual([null, null, 'limit_reached']);
  expect((await unionEntries(db)).length).toBe(2);
  expect((await preview(a, mallOrder([[p1, 1]]))).lines[0]).toMatchObject({ earns: false, no_entry_reason: 'limit_reached' });
  expect((await preview(b, mallOrder([[p1, 1]]))).lines[0]).toMatchObject({ earns: true, entitlement_fen: 11000 });
  // a limit set after the fact counts the union entries already there (refresh_limit_counts)
  const admin = await createAdmin(db);
  const p2 = await createProduct(db, { priceFen: 10000 });
  await buy(db, b, p2);
  await callNum(db, 'authenticated', admin, `select public.admin_update_rule_settings('product', $1, '{"total_limit": 1}')`, [p2]);
  const o4 = await buy(db, b, p2);
  expect(await lineWhy(o4.order_no)).toBe('limit_reached');
  // reconcile() (afterEach) checks the counts against the union entries of each limited target
});

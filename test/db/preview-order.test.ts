// preview_order(p_order): what create_order and paying now would give, without writing
// anything: the same refusals, the same deduction split, and per line the terms the payment
// then fixes (compared here with the paid order's own lines).
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { callNum, createMembers, createProduct, createStore, enableRebate, expectHealthy, grantBalance, pay } from '../helpers/engine';
import { lineTerms, setPlugin, setRule } from '../helpers/rules';

let db: TestDb;
let member: string;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db); // reward 100%, extraction 10%
  [member] = await createMembers(db, 1);
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

interface PreviewLine {
  line_no: number; product_id: number | null; pay_fen: number; earns: boolean; no_entry_reason: string | null;
  reward_bps: number | null; reward_rule_code: string | null; reward_rule_label: string | null; entitlement_fen: number; lottery: boolean;
}
interface Preview { goods_fen: number; pay_fen: number; points_deduct_fen: number; love_deduct_fen: number; lines: PreviewLine[] }

async function preview(body: unknown, who = member): Promise<Preview> {
  const [{ p }] = await callNum(db, 'authenticated', who, `select to_jsonb(public.preview_order($1::jsonb)) as p`, [JSON.stringify(body)]);
  return p as Preview;
}

async function createAndPay(body: unknown, who = member) {
  const [{ o }] = await callNum(db, 'authenticated', who, `select to_jsonb(public.create_order($1::jsonb)) as o`, [JSON.stringify(body)]);
  await pay(db, o);
  return o as { order_no: string; goods_fen: number; pay_fen: number; lines: Array<{ line_no: number; pay_fen: number }> };
}

/** The preview's lines against the paid order's lines. */
async function expectSameAsPaid(body: unknown, who = member): Promise<Preview> {
  const before = await preview(body, who);
  const order = await createAndPay(body, who);
  expect(order.pay_fen).toBe(before.pay_fen);
  for (const line of before.lines) {
    const paid = await lineTerms(db, order.order_no, line.line_no);
    expect({ bps: line.reward_bps, rule: line.reward_rule_code, label: line.reward_rule_label, ent: line.entitlement_fen,
      why: line.no_entry_reason, earns: line.earns })
      .toEqual({ bps: paid.reward_bps, rule: paid.rule, label: paid.label, ent: paid.ent, why: paid.why, earns: paid.entry_id !== null });
  }
  return before;
}

const counts = async () => (await db.admin.query(`
  select (select count(*) from rebate.orders)::int as orders, (select count(*) from rebate.order_lines)::int as lines,
         (select count(*) from rebate.messages)::int as messages,
         (select coalesce(sum(total_count), 0) from rebate.member_target_counts)::int as limit_counts,
         (select points from rebate.wallets where member_id = $1)::int as points`, [member])).rows[0];

test('granted to authenticated only, security definer, empty search_path', async () => {
  const { rows } = await db.admin.query(`
    select has_function_privilege('anon', p.oid, 'execute') as anon, has_function_privilege('authenticated', p.oid, 'execute') as authenticated,
           has_function_privilege('service_role', p.oid, 'execute') as service_role, has_function_privilege('public', p.oid, 'execute') as public,
           p.prosecdef, p.proconfig, p.provolatile
      from pg_proc p where p.oid = 'public.preview_order(jsonb)'::regprocedure`);
  expect(rows[0]).toEqual({ anon: false, authenticated: true, service_role: false, public: false, prosecdef: true,
    proconfig: ['search_path=""'], provolatile: 's' });
});

test('mall lines with a points deduction: the split, the ratio, the entitlement, exactly as paid; nothing written', async () => {
  const tea = await createProduct(db, { priceFen: 12345, rewardBps: 8000 });
  const cup = await createProduct(db, { priceFen: 999 });
  await grantBalance(db, member, 'points', 500);
  const body = { channel: 'mall', lines: [{ product_id: tea, quantity: 2 }, { product_id: cup, quantity: 1 }], points_fen: 300 };
  const before = await counts();
  const p = await preview(body);
  expect(await counts()).toEqual(before);
  expect(p).toMatchObject({ goods_fen: 25689, points_deduct_fen: 300, love_deduct_fen: 0, pay_fen: 25389 });
  // 300 points split in proportion 24690 : 999 (largest remainder): 288 + 12
  expect(p.lines).toEqual([
    { line_no: 1, product_id: tea, quantity: 2, amount_fen: 24690, pay_fen: 24402, earns: true, no_entry_reason: null,
      reward_bps: 8000, reward_rule_code: 'product_ratio', reward_rule_label: '商品独立比例', entitlement_fen: 19522, lottery: false },
    { line_no: 2, product_id: cup, quantity: 1, amount_fen: 999, pay_fen: 987, earns: true, no_entry_reason: null,
      reward_bps: 10000, reward_rule_code: 'plugin_default', reward_rule_label: '默认比例', entitlement_fen: 987, lottery: false },
  ]);
  await expectSameAsPaid(body);
});

test('lottery, rebate off, deductions excluded, zero ratio and limits are previewed as the payment decides them', async () => {
  const lottery = await createProduct(db, { priceFen: 5000 });
  await setRule(db, 'product', lottery, { lottery_mode: 'fixed', lottery_options: [{ bps: 5000, weight: 1 }] });
  const lp = await expectSameAsPaid({ channel: 'mall', lines: [{ product_id: lottery, quantity: 1 }] });
  expect(lp.lines[0]).toMatchObject({ earns: true, lottery: true, reward_rule_code: 'product_lottery', reward_bps: 10000 });

  const off = await createProduct(db, { rebateEnabled: false });
  const op = await expectSameAsPaid({ channel: 'mall', lines: [{ product_id: off, quantity: 1 }] });
  expect(op.lines[0]).toMatchObject({ earns: false, no_entry_reason: 'product_rebate_off', reward_bps: null, entitlement_fen: 0 });

  const zero = await createProduct(db, { rewardBps: 0 });
  const zp = await expectSameAsPaid({ channel: 'mall', lines: [{ product_id: zero, quantity: 1 }] });
  expect(zp.lines[0]).toMatchObject({ earns: false, no_entry_reason: 'zero_entitlement', reward_bps: 0 });

  await setPlugin(db, { deduction_participates: false });
  await grantBalance(db, member, 'points', 100);
  const plain = await createProduct(db);
  const dp = await expectSameAsPaid({ channel: 'mall', lines: [{ product_id: plain, quantity: 1 }], points_fen: 100 });
  expect(dp.lines[0]).toMatchObject({ earns: false, no_entry_reason: 'deduction_excluded' });
  await setPlugin(db, { deduction_participates: true });

  // a daily limit of one: the preview takes no place, the payment does, the next preview says so
  const limited = await createProduct(db, { priceFen: 2000 });
  await setRule(db, 'product', limited, { daily_limit: 1 });
  const body = { channel: 'mall', lines: [{ product_id: limited, quantity: 1 }] };
  expect((await preview(body)).lines[0]).toMatchObject({ earns: true });
  expect((await preview(body)).lines[0]).toMatchObject({ earns: true });
  await expectSameAsPaid(body);
  const lim = await expectSameAsPaid(body);
  expect(lim.lines[0]).toMatchObject({ earns: false, no_entry_reason: 'limit_reached' });
});

test('cashier payment: the cashier ratio for the amount', async () => {
  const { storeId, cashierId } = await createStore(db, { cashier: { rewardBps: 15000 } });
  const body = { channel: 'cashier', store_id: storeId, amount_fen: 12850 };
  const p = await expectSameAsPaid(body);
  expect(p.lines).toEqual([expect.objectContaining({ line_no: 1, product_id: null, pay_fen: 12850, earns: true, reward_bps: 15000,
    reward_rule_code: 'cashier_ratio', entitlement_fen: 19275 })]);
  expect(cashierId).not.toBeNull();
});

test('refuses what create_order refuses, with the same codes', async () => {
  const product = await createProduct(db);
  const { storeId } = await createStore(db, { status: 'pending' });
  const cases: Array<[unknown, string]> = [
    [{ channel: 'mall' }, 'invalid_lines'],
    [{ channel: 'post', lines: [] }, 'invalid_channel'],
    [{ channel: 'mall', lines: [{ product_id: product, quantity: 1 }], extra: 1 }, 'invalid_order'],
    [{ channel: 'mall', lines: [{ product_id: 987654321, quantity: 1 }] }, 'product_not_found'],
    [{ channel: 'mall', lines: [{ product_id: product, quantity: 1000 }] }, 'invalid_quantity'],
    [{ channel: 'cashier', store_id: storeId, amount_fen: 100 }, 'store_not_approved'],
    [{ channel: 'mall', lines: [{ product_id: product, quantity: 1 }], points_fen: 999999 }, 'deduction_exceeds_order'],
    [{ channel: 'mall', lines: [{ product_id: product, quantity: 1 }], love_fen: 10 }, 'insufficient_love'],
  ];
  for (const [body, code] of cases) {
    await expectDbError(preview(body), code);
    await expectDbError(callNum(db, 'authenticated', member, `select to_jsonb(public.create_order($1::jsonb))`, [JSON.stringify(body)]), code);
  }
  await expect(db.call('anon', null, `select to_jsonb(public.preview_order('{}'))`)).rejects.toMatchObject({ code: '42501' });
});

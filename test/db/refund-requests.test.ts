// 申请退款: refund_quote shows, line by line, the refundable cash SPEC §10 computes (the cash
// rebate already received is kept back) and the deductions that go back; request_refund stores
// a request for chosen lines with a reason (one pending per order); the member may withdraw it;
// the platform's refund answers it. my_orders('after_sales') lists such orders.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createOrder, createProduct, enableRebate, expectHealthy, grantBalance, mallOrder, pay, refund } from '../helpers/engine';

let db: TestDb;
let a: string;
let b: string;
let c: string;
let tea: number;
let cup: number;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db); // reward 100%, extraction 10%
  [a, b, c] = await createMembers(db, 3);
  tea = await createProduct(db, { priceFen: 10000 });
  cup = await createProduct(db, { priceFen: 5000 });
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

const j = async (who: string, sql: string, params: unknown[] = []) => (await db.call('authenticated', who, sql, params))[0].j;
const quote = (who: string, orderId: number) => j(who, `select jsonb_agg(to_jsonb(q) order by q.line_no) as j from public.refund_quote($1) q`, [orderId]);
const request = (who: string, orderId: number, lines: number[] | null, reason: string | null) =>
  j(who, `select to_jsonb(public.request_refund($1, $2, $3)) as j`, [orderId, lines, reason]);

test('quote keeps back what the entry received; request, withdraw, request again; the refund answers it', async () => {
  await grantBalance(db, a, 'points', 1000);
  // A: two lines (tea, cup), 1,000 points deducted in proportion; entries join
  const o = await createOrder(db, a, mallOrder([[tea, 1], [cup, 1]], { points_fen: 1000 }));
  await pay(db, o);
  // B's later order pays A's first entry 10% of ¥100.00
  await buy(db, b, tea);
  const q = await quote(a, o.order_id);
  expect(q.map((l: any) => [l.line_no, l.pay_fen, l.received_fen, l.refundable_fen, l.points_deduct_fen, l.refundable]))
    .toEqual([[1, 9333, 1000, 8333, 667, true], [2, 4667, 0, 4667, 333, true]]);

  await expectDbError(request(a, o.order_id, [1], ' '), 'invalid_refund_reason');
  await expectDbError(request(a, o.order_id, [3], '不想要了'), 'invalid_refund_lines');
  await expectDbError(request(a, o.order_id, [1, 1], '不想要了'), 'invalid_refund_lines');
  await expectDbError(request(c, o.order_id, [1], '不想要了'), 'order_not_found');
  const r1 = await request(a, o.order_id, [2, 1], '不想要了');
  expect(r1).toMatchObject({ order_id: o.order_id, line_nos: [1, 2], status: 'pending', status_label: '审核中',
    refundable_fen: 13000, points_fen: 1000, love_fen: 0, reason: '不想要了' });
  await expectDbError(request(a, o.order_id, [1], '再来一次'), 'refund_request_pending');
  expect((await quote(a, o.order_id)).map((l: any) => l.reason)).toEqual(['退款申请审核中', '退款申请审核中']);

  await expectDbError(j(c, `select to_jsonb(public.cancel_refund_request($1)) as j`, [r1.request_id]), 'refund_request_not_found');
  expect(await j(a, `select to_jsonb(public.cancel_refund_request($1)) as j`, [r1.request_id]))
    .toMatchObject({ status: 'cancelled', status_label: '已撤销' });
  await expectDbError(j(a, `select to_jsonb(public.cancel_refund_request($1)) as j`, [r1.request_id]), 'refund_request_not_pending');

  const r2 = await request(a, o.order_id, [1], '质量问题');
  // the platform refunds line 1: the request is answered
  await refund(db, o.order_no, 'RF-1', [1]);
  const mine = await j(a, `select jsonb_agg(to_jsonb(r)) as j from public.my_refund_requests($1) r`, [o.order_id]);
  expect(mine.map((r: any) => [r.request_id, r.status, r.status_label])).toEqual([[r2.request_id, 'approved', '已退款'], [r1.request_id, 'cancelled', '已撤销']]);
  const after = await quote(a, o.order_id);
  expect(after.map((l: any) => [l.refundable, l.reason])).toEqual([[false, '已退款'], [true, null]]);
  // 退款售后 lists the order; a plain paid order is not there
  await buy(db, a, cup);
  const list = await j(a, `select jsonb_agg(x.order_id) as j from public.my_orders('after_sales') x`);
  expect(list).toEqual([o.order_id]);
});

test('only paid or completed orders', async () => {
  const o = await createOrder(db, c, mallOrder([[cup, 1]]));
  await expectDbError(request(c, o.order_id, [1], '不想要了'), 'order_not_refundable');
  expect((await quote(c, o.order_id))[0]).toMatchObject({ refundable: false, reason: '订单当前状态不能退款' });
  await expectDbError(db.call('anon', null, `select public.refund_quote($1)`, [o.order_id]), /permission denied/);
});

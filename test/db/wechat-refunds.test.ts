// Refunds through WeChat Pay in the database (18_wechat_refunds.sql), as each role: finance
// records a refund with the SPEC §10 amount fixed at the start; rebate that arrives before
// WeChat's SUCCESS is shortfall (the line still balances); record_wechat_refund applies SPEC §10
// once; SUCCESS after CLOSED is a conflict; reconcile_check_refunds sees refunds that disagree.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { buy, createMembers, createProduct, enableRebate, expectHealthy, reconcile } from '../helpers/engine';

let db: TestDb;
let a: string;
let b: string;
let fin: string;
let tea: number;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db); // reward 100%, extraction 10%
  [a, b, fin] = await createMembers(db, 3);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'finance')`, [fin]);
  tea = await createProduct(db, { priceFen: 10000 });
});
afterAll(async () => { await db.close(); });

const start = async (who: string, orderNo: string, lines: number[] | null, reason = '测试') =>
  (await db.call('authenticated', who, `select public.console_start_refund($1, $2, $3) as j`, [orderNo, lines, reason]))[0].j;
const record = async (orderNo: string, no: string, status: string, refundFen: number, totalFen: number, id = `50${no}`) =>
  (await db.call('service_role', null, `select public.record_wechat_refund($1, $2, $3, $4, $5, $6) as j`,
    [orderNo, no, status, id, refundFen, totalFen]))[0].j;

test('the amount is fixed at the start; rebate received before SUCCESS is shortfall; SUCCESS applies once', async () => {
  const order = await buy(db, a, tea);
  await buy(db, b, tea); // a's entry receives ¥10.00
  await expectDbError(start(a, order.order_no, null), 'forbidden_role');
  const r = await start(fin, order.order_no, null, '  商品破损  ');
  expect(r).toMatchObject({ status: 'created', refund_fen: 9000, kept_back_fen: [1000], total_fen: 10000, reason: '商品破损',
                            out_refund_no: `RF${order.order_no}-1` });
  await record(order.order_no, r.out_refund_no, 'PROCESSING', 9000, 10000);
  await buy(db, b, tea); // ¥10.00 more reaches a's entry while WeChat is paying
  await expectDbError(record(order.order_no, r.out_refund_no, 'SUCCESS', 9001, 10000), 'refund_amount_mismatch');
  const done = await record(order.order_no, r.out_refund_no, 'SUCCESS', 9000, 10000);
  expect(done).toMatchObject({ status: 'success', changed: true });
  const [line] = (await db.admin.query(`select refund_fen::int, clawback_fen::int, shortfall_fen::int from rebate.order_lines
                                         where order_id = $1`, [order.order_id])).rows;
  expect(line).toEqual({ refund_fen: 9000, clawback_fen: 1000, shortfall_fen: 1000 });
  expect(await record(order.order_no, r.out_refund_no, 'SUCCESS', 9000, 10000)).toMatchObject({ status: 'success', changed: false });
  expect(await record(order.order_no, r.out_refund_no, 'ABNORMAL', 9000, 10000)).toMatchObject({ status: 'success', changed: false });
  await expectDbError(record(order.order_no, r.out_refund_no, 'WHATEVER', 9000, 10000), 'invalid_refund_status');
  await expectHealthy(db);
});

test('SUCCESS after CLOSED is a conflict', async () => {
  const order = await buy(db, a, tea);
  const r = await start(fin, order.order_no, [1]);
  await record(order.order_no, r.out_refund_no, 'CLOSED', r.refund_fen, 10000);
  await expectDbError(record(order.order_no, r.out_refund_no, 'SUCCESS', r.refund_fen, 10000), 'refund_state_conflict');
  await expectHealthy(db);

  await expectHealthy(db);
});

test('reconcile sees a successful refund whose books disagree, and a line in two live refunds', async () => {
  const order = await buy(db, a, tea);
  const r = await start(fin, order.order_no, null);
  await record(order.order_no, r.out_refund_no, 'SUCCESS', r.refund_fen, 10000);
  await expectHealthy(db);
  await db.admin.query(`alter table rebate.wechat_refunds disable trigger all`);
  try {
    await db.admin.query(`update rebate.wechat_refunds set refund_fen = refund_fen - 1 where out_refund_no = $1`, [r.out_refund_no]);
    await db.admin.query(`insert into rebate.wechat_refunds (out_refund_no, order_id, line_nos, kept_back_fen, refund_fen, total_fen, reason)
                          values ('RF-DUP', $1, '{1}', '{0}', 1, 10000, 'x')`, [order.order_id]);
    const found = (await reconcile(db)).map((x: any) => x.check_name).sort();
    expect(found).toEqual(expect.arrayContaining(['line_refunded_twice', 'wechat_refund_booked', 'wechat_refund_open_state']));
  } finally {
    await db.admin.query(`delete from rebate.wechat_refunds where out_refund_no = 'RF-DUP'`);
    await db.admin.query(`update rebate.wechat_refunds set refund_fen = refund_fen + 1 where out_refund_no = $1`, [r.out_refund_no]);
    await db.admin.query(`alter table rebate.wechat_refunds enable trigger all`);
  }
  await expectHealthy(db);
});

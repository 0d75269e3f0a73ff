// 确认订单: create_order takes a delivery address and a remark, stores them with the order and
// my_order returns them; preview_order accepts the same body. Bad input is refused in Chinese.
import { createTestDb, expectDbError, TestDb } from '../helpers/db';
import { createMembers, createOrder, createProduct, createStore, enableRebate, expectHealthy, mallOrder } from '../helpers/engine';

let db: TestDb;
let member: string;
let product: number;
beforeAll(async () => {
  db = await createTestDb();
  await enableRebate(db);
  [member] = await createMembers(db, 1);
  product = await createProduct(db, { priceFen: 5000 });
});
afterAll(async () => { await expectHealthy(db); await db.close(); });

const address = { name: ' 张三 ', phone: '138 0013 8000', region: '浙江省 杭州市 西湖区', detail: '文三路 100 号 2 幢 301' };

test('the address and remark are stored with the order and come back with it', async () => {
  const o = await createOrder(db, member, mallOrder([[product, 2]], { address, remark: ' 请下午送达 ' })) as any;
  expect(o).toMatchObject({ delivery_name: '张三', delivery_phone: '13800138000', delivery_region: '浙江省 杭州市 西湖区',
    delivery_address: '文三路 100 号 2 幢 301', remark: '请下午送达', goods_fen: 10000 });
  const [{ m }] = await db.call('authenticated', member, `select to_jsonb(public.my_order($1)) as m`, [o.order_id]);
  expect(m).toMatchObject({ delivery_name: '张三', remark: '请下午送达' });
  // both optional; an empty remark is none
  const plain = await createOrder(db, member, mallOrder([[product, 1]], { remark: '  ' })) as any;
  expect(plain).toMatchObject({ delivery_name: null, remark: null });
  // preview takes the same body
  const [{ p }] = await db.call('authenticated', member, `select to_jsonb(public.preview_order($1::jsonb)) as p`,
    [JSON.stringify(mallOrder([[product, 2]], { address, remark: 'x' }))]);
  expect(p).toMatchObject({ goods_fen: 10000 });
});

test('refusals', async () => {
  const bad = (extra: Record<string, unknown>) => createOrder(db, member, mallOrder([[product, 1]], extra));
  await expectDbError(bad({ address: { ...address, name: '' } }), 'invalid_delivery');
  await expectDbError(bad({ address: { ...address, phone: 'abc' } }), 'invalid_delivery');
  await expectDbError(bad({ address: { ...address, detail: 'x'.repeat(121) } }), 'invalid_delivery');
  await expectDbError(bad({ address: { ...address, extra: 1 } }), 'invalid_delivery');
  await expectDbError(bad({ address: 'somewhere' }), 'invalid_delivery');
  await expectDbError(bad({ remark: 'x'.repeat(101) }), 'invalid_remark');
  await expectDbError(bad({ remark: 5 }), 'invalid_remark');
  const { storeId } = await createStore(db);
  await expectDbError(createOrder(db, member, { channel: 'cashier', store_id: storeId, amount_fen: 100, address }), 'invalid_order');
  // the row check holds even for a direct write
  const { rows } = await db.admin.query(`select id from rebate.orders where member_id = $1 limit 1`, [member]);
  await expectDbError(db.admin.query(`update rebate.orders set delivery_phone = null where id = $1 and delivery_name is not null`, [rows[0].id])
    .then(() => db.admin.query(`update rebate.orders set delivery_name = 'x' where delivery_name is null`)), /orders_delivery/);
});

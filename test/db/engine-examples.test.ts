// SPEC §1 worked examples A, B and C, reproduced exactly in fen through the real RPCs.
import { createTestDb, TestDb } from '../helpers/db';
import {
  buy, createMembers, createProduct, distributions, enableRebate, entries, expectHealthy, lineOf, retentions, wallet,
} from '../helpers/engine';

let db: TestDb;
beforeEach(async () => { db = await createTestDb(); });
afterEach(async () => { await db.close(); });

test('example A: 100% reward, 10% extraction, orders of 100.00 in one queue', async () => {
  await enableRebate(db, { default_reward_bps: 10000, extraction_bps: 1000, merchant_queue: true });
  const p = await createProduct(db, { priceFen: 10000 });
  const m = await createMembers(db, 13);
  const [a, b] = m;

  const oa = await buy(db, a, p);
  expect((await entries(db))[0]).toMatchObject({ member_id: a, entitlement_fen: 10000, received_fen: 0, status: 'waiting' });
  // A's own extraction finds no one ahead: retained
  expect(await retentions(db)).toEqual([{ order_no: oa.order_no, line_no: 1, amount_fen: 1000, reason: 'no_waiting_entry' }]);

  await buy(db, b, p);
  expect((await entries(db))[0].received_fen).toBe(1000);           // B buys → A receives 10.00
  await buy(db, m[2], p);
  await buy(db, m[3], p);
  expect((await entries(db))[0].received_fen).toBe(3000);           // C and D → A has 30.00

  for (let i = 4; i <= 10; i++) await buy(db, m[i], p);              // the 10th order after A
  let es = await entries(db);
  expect(es[0]).toMatchObject({ member_id: a, received_fen: 10000, status: 'completed' });
  expect(es[1]).toMatchObject({ member_id: b, received_fen: 0, status: 'waiting' });

  await buy(db, m[11], p);                                           // the 11th order after A pays B
  es = await entries(db);
  expect(es[1]).toMatchObject({ member_id: b, received_fen: 1000, status: 'waiting' });
  expect(es.slice(2).every((e) => e.received_fen === 0)).toBe(true);

  expect(await wallet(db, a)).toMatchObject({ cash_fen: 10000 });
  expect(await wallet(db, b)).toMatchObject({ cash_fen: 1000 });
  await expectHealthy(db);
});

test('example B: product queue, 168.00 at 130% reward and 65% extraction', async () => {
  await enableRebate(db, { merchant_queue: false });
  const p = await createProduct(db, { priceFen: 16800, rewardBps: 13000, extractionBps: 6500 });
  const [u1, u2, u3, u4, u5] = await createMembers(db, 5);

  const o1 = await buy(db, u1, p);
  expect(await lineOf(db, o1.order_no)).toMatchObject({
    queue_key: `product:${p}#1`, entitlement_fen: 21840, extraction_fen: 10920, reward_rule_code: 'product_ratio',
    reward_rule_label: '商品独立比例',
  });
  expect(await retentions(db)).toEqual([{ order_no: o1.order_no, line_no: 1, amount_fen: 10920, reason: 'no_waiting_entry' }]);

  const o2 = await buy(db, u2, p);
  expect(await distributions(db)).toMatchObject([{ source_order_no: o2.order_no, entry_order_no: o1.order_no, amount_fen: 10920 }]);
  const o3 = await buy(db, u3, p);
  let es = await entries(db);
  expect(es[0]).toMatchObject({ member_id: u1, received_fen: 21840, status: 'completed' });
  expect(es[1]).toMatchObject({ member_id: u2, received_fen: 0 });

  const o4 = await buy(db, u4, p);
  es = await entries(db);
  expect(es[1]).toMatchObject({ member_id: u2, received_fen: 10920, status: 'waiting' });
  const o5 = await buy(db, u5, p);
  es = await entries(db);
  expect(es.map((e) => [e.received_fen, e.status])).toEqual([
    [21840, 'completed'], [21840, 'completed'], [0, 'waiting'], [0, 'waiting'], [0, 'waiting'],
  ]);
  expect((await distributions(db)).map((d) => [d.source_order_no, d.entry_order_no, d.amount_fen])).toEqual([
    [o2.order_no, o1.order_no, 10920], [o3.order_no, o1.order_no, 10920],
    [o4.order_no, o2.order_no, 10920], [o5.order_no, o2.order_no, 10920],
  ]);
  expect((await retentions(db)).length).toBe(1);
  expect(await wallet(db, u1)).toMatchObject({ cash_fen: 21840 });
  expect(await wallet(db, u2)).toMatchObject({ cash_fen: 21840 });
  await expectHealthy(db);
});

test('example C: waterfall — E\'s 30.00 pays A 10.00 (completed) and B 20.00', async () => {
  await enableRebate(db, { default_reward_bps: 10000, extraction_bps: 3000, merchant_queue: true });
  const p = await createProduct(db, { priceFen: 10000 });
  const [a, b, c, d, e] = await createMembers(db, 5);
  await buy(db, a, p);
  await buy(db, b, p);
  await buy(db, c, p);
  await buy(db, d, p);
  expect((await entries(db)).map((x) => x.received_fen)).toEqual([9000, 0, 0, 0]);
  const oe = await buy(db, e, p);
  const es = await entries(db);
  expect(es.map((x) => [x.received_fen, x.status])).toEqual([
    [10000, 'completed'], [2000, 'waiting'], [0, 'waiting'], [0, 'waiting'], [0, 'waiting'],
  ]);
  const fromE = (await distributions(db)).filter((x) => x.source_order_no === oe.order_no);
  expect(fromE.map((x) => [x.member_id, x.amount_fen])).toEqual([[a, 1000], [b, 2000]]);
  expect(await wallet(db, a)).toMatchObject({ cash_fen: 10000 });
  expect(await wallet(db, b)).toMatchObject({ cash_fen: 2000 });
  await expectHealthy(db);
});

// The reference model on its own: SPEC examples A, B, C and its arithmetic.
import { allocate, bpsOf, EngineModel, ModelError } from '@/lib/engine-model';

function mallModel(settings: ConstructorParameters<typeof EngineModel>[0], product: Partial<{ priceFen: number; rewardBps: number; extractionBps: number }> = {}) {
  const m = new EngineModel({ enabled: true, ...settings });
  m.addProduct({ id: 1, kind: 'self', storeId: null, priceFen: product.priceFen ?? 10000, listed: true, rebateEnabled: true,
    rewardBps: product.rewardBps ?? null, extractionBps: product.extractionBps ?? null });
  return m;
}

function buy(m: EngineModel, handle: string, member = handle) {
  m.createOrder(handle, member, { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  m.pay(handle);
}

test('bpsOf rounds half-up to the fen', () => {
  expect(bpsOf(16800, 13000)).toBe(21840);
  expect(bpsOf(16800, 6500)).toBe(10920);
  expect(bpsOf(105, 1000)).toBe(11);
  expect(bpsOf(104, 1000)).toBe(10);
  expect(bpsOf(12345, 3333)).toBe(4115);
  expect(bpsOf(100000000, 100000)).toBe(1000000000);
});

test('allocate splits in proportion, largest remainder first, exactly', () => {
  expect(allocate(4000, [10000, 30000])).toEqual([1000, 3000]);
  expect(allocate(1, [1, 1])).toEqual([1, 0]);
  expect(allocate(2, [1, 1, 1])).toEqual([1, 1, 0]);
  expect(allocate(10, [3, 3, 4])).toEqual([3, 3, 4]);
  expect(allocate(7, [5, 0, 5])).toEqual([4, 0, 3]);
  expect(allocate(0, [5, 5])).toEqual([0, 0]);
  const w = [99999999, 1, 33333333];
  expect(allocate(99999998, w).reduce((s, x) => s + x, 0)).toBe(99999998);
});

test('example A in the model', () => {
  const m = mallModel({ merchantQueue: true, defaultRewardBps: 10000, extractionBps: 1000 });
  for (let i = 0; i < 12; i++) buy(m, `o${i}`);
  expect(m.entries.map((e) => e.receivedFen)).toEqual([10000, 1000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  expect(m.entries[0].status).toBe('completed');
  expect(m.retentions).toEqual([{ orderHandle: 'o0', lineNo: 1, amountFen: 1000, reason: 'no_waiting_entry' }]);
  expect(m.wallet('o0').cashFen).toBe(10000);
});

test('example B in the model', () => {
  const m = mallModel({}, { priceFen: 16800, rewardBps: 13000, extractionBps: 6500 });
  for (let i = 1; i <= 5; i++) buy(m, `u${i}`);
  expect(m.entries.map((e) => [e.receivedFen, e.status])).toEqual([
    [21840, 'completed'], [21840, 'completed'], [0, 'waiting'], [0, 'waiting'], [0, 'waiting'],
  ]);
  expect(m.distributions.map((d) => [d.sourceOrder, d.entryOrder, d.amountFen])).toEqual([
    ['u2', 'u1', 10920], ['u3', 'u1', 10920], ['u4', 'u2', 10920], ['u5', 'u2', 10920],
  ]);
});

test('example C in the model', () => {
  const m = mallModel({ merchantQueue: true, extractionBps: 3000 });
  for (const h of ['a', 'b', 'c', 'd', 'e']) buy(m, h);
  expect(m.entries.map((e) => e.receivedFen)).toEqual([10000, 2000, 0, 0, 0]);
  expect(m.distributions.filter((d) => d.sourceOrder === 'e').map((d) => [d.member, d.amountFen])).toEqual([['a', 1000], ['b', 2000]]);
});

test('model refuses what the database refuses', () => {
  const m = mallModel({});
  expect(() => m.createOrder('x', 'a', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }], pointsFen: 10000 }))
    .toThrow(new ModelError('deduction_exceeds_order'));
  expect(() => m.createOrder('x', 'a', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }], pointsFen: 1 }))
    .toThrow(new ModelError('insufficient_points'));
  expect(() => m.createOrder('x', 'a', { channel: 'mall', lines: [{ productId: 9, quantity: 1 }] })).toThrow(new ModelError('product_not_found'));
  m.createOrder('x', 'a', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  expect(() => m.complete('x')).toThrow(new ModelError('order_not_completable'));
  expect(() => m.refund('x', 'r')).toThrow(new ModelError('order_not_refundable'));
  expect(m.pay('x')).toBe('paid');
  expect(m.pay('x')).toBe('replayed');
  expect(() => m.cancel('x')).toThrow(new ModelError('order_not_cancellable'));
});

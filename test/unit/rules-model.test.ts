// The reference model's entitlement rules on their own (SPEC §4–9): the tier example, the
// chains' fallbacks, windows in Shanghai time, the lottery's refusals and allowed results,
// random return's exactness, exchange, transfer and clearing.
import { EngineModel, inRewardWindow, ModelError, shanghaiDay } from '@/lib/engine-model';

const T0 = Date.parse('2030-03-10T12:00:00+08:00');

/** The ModelError code fn throws ('no error' when it does not). */
function codeOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return e instanceof ModelError ? e.code : String(e); }
  return 'no error';
}

function world(settings: ConstructorParameters<typeof EngineModel>[0] = {}) {
  const m = new EngineModel({ enabled: true, merchantQueue: true, defaultRewardBps: 10000, extractionBps: 1000, ...settings });
  m.clock = () => T0;
  m.addProduct({ id: 1, kind: 'self', storeId: null, priceFen: 10000, listed: true, rebateEnabled: true, rewardBps: null, extractionBps: null });
  m.addStore({ id: 5, approved: true, rebateEnabled: true, rewardBps: null, extractionBps: null,
    cashier: { id: 6, rebateEnabled: true, rewardBps: null, extractionBps: null } });
  return m;
}

function cashier(m: EngineModel, handle: string, member: string, amountFen: number) {
  m.createOrder(handle, member, { channel: 'cashier', storeId: 5, amountFen });
  m.pay(handle);
  return m.order(handle).lines[0]
}

test('SPEC §4 tier example: 6000.00 in 30 days and 11000.00 in 60 days → 100%', () => {
  const m = world({ defaultRewardBps: 1000 });
  m.setRule('cashier', 6, { tiers: [{ days: 30, minFen: 200000, bps: 5000 }, { days: 30, minFen: 500000, bps: 6000 }, { days: 60, minFen: 1000000, bps: 10000 }] });
  const at = (daysAgo: number) => { m.clock = () => T0 - daysAgo * 86400e3 };
  at(45); cashier(m, 'a', 'u', 500000); m.complete('a');
  at(3); cashier(m, 'b', 'u', 600000); m.complete('b');
  at(0);
  expect(cashier(m, 'c', 'u', 10000)).toMatchObject({ rewardBps: 10000, ruleCode: 'cashier_tier' });
  expect(cashier(m, 'd', 'v', 10000)).toMatchObject({ rewardBps: 1000, ruleCode: 'plugin_default' });
});

test('windows in Shanghai wall-clock time', () => {
  expect(shanghaiDay(Date.parse('2030-01-01T16:00:00Z'))).toBe(shanghaiDay(Date.parse('2030-01-02T00:00:00+08:00')));
  expect(shanghaiDay(Date.parse('2030-01-01T15:59:59Z'))).toBe(shanghaiDay(Date.parse('2030-01-02T00:00:00+08:00')) - 1);
  const w = [{ start: '22:00', end: '02:00' }];
  expect(inRewardWindow(w, Date.parse('2030-01-01T21:59:59+08:00'))).toBe(false);
  expect(inRewardWindow(w, Date.parse('2030-01-01T22:00:00+08:00'))).toBe(true);
  expect(inRewardWindow(w, Date.parse('2030-01-02T01:59:59+08:00'))).toBe(true);
  expect(inRewardWindow(w, Date.parse('2030-01-02T02:00:00+08:00'))).toBe(false);
  expect(inRewardWindow([{ start: '09:00', end: '24:00' }], Date.parse('2030-01-01T23:59:59+08:00'))).toBe(true);
  expect(inRewardWindow([], 0)).toBe(true);
});

test('lottery: fallback ratio, one draw, refusals, results outside the configuration are model errors', () => {
  const m = world({ lotteryMode: 'fixed', lotteryOptions: [{ bps: 2000, weight: 1 }, { bps: 5000, weight: 1 }] });
  m.createOrder('a', 'u', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  m.pay('a');
  expect(m.entryOf('a', 1)).toMatchObject({ rewardBps: 10000, ruleCode: 'plugin_lottery', entitlementFen: 10000 });
  expect(() => m.draw('a', 1, 3000)).toThrow(/not in/);
  expect(m.draw('a', 1, 5000)).toEqual({ previousBps: 10000, entitlementFen: 5000 });
  expect(m.order('a').lines[0]).toMatchObject({ rewardBps: 5000, entitlementFen: 5000 });
  expect(codeOf(() => m.draw('a', 1, 5000))).toBe('lottery_already_drawn');
  m.setSettings({ lotteryMode: 'off' });
  m.createOrder('b', 'v', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  m.pay('b');
  expect(codeOf(() => m.draw('b', 1, 5000))).toBe('lottery_not_available');
});

test('random return: decisions that would break a group are model errors; exact groups convert', () => {
  const m = world({ randomReturnEnabled: true, randomCashCount: 1, randomPointsCount: 1, pointsExchangeBps: 5000 });
  m.createOrder('a', 'u', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  m.pay('a', () => false);
  m.createOrder('b', 'u', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  expect(() => m.pay('b', () => false)).toThrow(/miss a points place/);
  const n = world({ randomReturnEnabled: true, randomCashCount: 1, randomPointsCount: 1, pointsExchangeBps: 5000 });
  for (const h of ['a', 'b', 'c', 'd']) {
    n.createOrder(h, 'u', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
    n.pay(h);
  }
  expect(n.randomGroups.map((g) => [g.joined, g.converted, g.endReason])).toEqual([[2, 1, 'full'], [2, 1, 'full']]);
  expect(n.entries.filter((e) => e.converted?.by === 'random_return')).toHaveLength(2);
  expect(n.wallet('u').points).toBe(10000);
});

test('exchange, transfer and clearing', () => {
  const m = world({ pointsExchangeBps: 15000, loveExchangeBps: 0 });
  m.createOrder('a', 'u', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  m.pay('a');
  m.createOrder('b', 'v', { channel: 'mall', lines: [{ productId: 1, quantity: 1 }] });
  m.pay('b');
  expect(m.exchangeTerms('a', 1, 'points')).toMatchObject({ remainingFen: 9000, amount: 13500, asset: 'points' });
  expect(codeOf(() => m.exchange('a', 1, 'love'))).toBe('exchange_off');
  m.exchange('a', 1, 'points');
  expect(m.entryOf('a', 1)).toMatchObject({ status: 'exchanged', closedFen: 9000 });
  expect(codeOf(() => m.transferPoints('u', 'v', 13501))).toBe('insufficient_points');
  m.transferPoints('u', 'v', 500);
  expect([m.wallet('u').points, m.wallet('v').points]).toEqual([13000, 500]);
  expect(m.clear()).toEqual({ clearedCount: 1, forfeitedFen: 10000 });
  expect(m.entryOf('b', 1)).toMatchObject({ status: 'cleared', closedFen: 10000 });
});

// Property (SPEC §13): random sequences of orders in every channel (with points deductions and
// two-line carts), completions, refunds before and after a day's payout, days passing and
// settings changes (pause, ratios, settlement event, deduction switch) run through the
// reference model (client/lib/union-model.ts) and the database give identical entries, line
// records, daily payouts and wallets, to the fen; reconcile() is clean after every run.
import fc from 'fast-check';
import { createTestDb } from '../helpers/db';
import { UnionDriver, UnionOp } from '../helpers/union-driver';

const RUNS = Number(process.env.UNION_PROPERTY_RUNS ?? 20);

const settingsArb = fc.record({
  quotaBps: fc.constantFrom(11000, 10000, 15000, 3333),
  poolBps: fc.constantFrom(6000, 10000, 2500, 0),
  accelBps: fc.constantFrom(0, 1000, 5000, 10000),
  settleEvent: fc.constantFrom<'paid' | 'completed'>('paid', 'completed'),
  deductionParticipates: fc.boolean(),
  referralDirectBps: fc.constantFrom(0, 500),
  paused: fc.constant(false),
  enabled: fc.constant(true),
});

const worldArb = fc.record({
  settings: settingsArb,
  referrals: fc.array(fc.option(fc.nat(4), { nil: null }), { minLength: 5, maxLength: 5 }),
  costs: fc.array(fc.record({
    kind: fc.constantFrom<'self' | 'supplier' | 'supply_chain'>('self', 'supplier', 'supply_chain'),
    price: fc.integer({ min: 1, max: 30000 }), cost: fc.integer({ min: 0, max: 30000 }), supply: fc.integer({ min: 0, max: 30000 }),
  }), { minLength: 1, maxLength: 3 }),
  commissionBps: fc.constantFrom(0, 1500, 3333, 10000),
});

const opArb: fc.Arbitrary<UnionOp> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    t: fc.constant('buy' as const), member: fc.nat(4), channel: fc.constantFrom<'mall' | 'store' | 'cashier'>('mall', 'mall', 'store', 'cashier'),
    product: fc.nat(), qty: fc.integer({ min: 1, max: 3 }), amount: fc.integer({ min: 1, max: 50000 }),
    points: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 3000 })), second: fc.boolean(),
  }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('complete' as const), o: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('refund' as const), o: fc.nat() }) },
  { weight: 3, arbitrary: fc.constant({ t: 'day' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('set' as const), patch: fc.oneof(
    fc.record({ paused: fc.boolean() }),
    fc.record({ accelBps: fc.constantFrom(0, 2000, 10000) }),
    fc.record({ poolBps: fc.constantFrom(0, 6000, 10000) }),
    fc.record({ quotaBps: fc.constantFrom(11000, 20000) }),
    fc.record({ settleEvent: fc.constantFrom<'paid' | 'completed'>('paid', 'completed') }),
    fc.record({ deductionParticipates: fc.boolean() }),
    fc.record({ enabled: fc.boolean() }),
  ) }) },
);

test('the union queue in the database equals the reference model, to the fen', async () => {
  await fc.assert(fc.asyncProperty(worldArb, fc.array(opArb, { minLength: 5, maxLength: 40 }), async (world, ops) => {
    const db = await createTestDb();
    try {
      const d = new UnionDriver(db, world.settings, -60);
      await d.setup({ members: 5, referrals: world.referrals, costs: world.costs, commissionBps: world.commissionBps });
      for (const op of ops) await d.apply(op);
      await d.apply({ t: 'day' });
      await d.compare();
    } finally {
      await db.close();
    }
  }), { numRuns: RUNS, seed: Number(process.env.UNION_PROPERTY_SEED ?? 20261216), endOnFailure: true });
}, 600_000);

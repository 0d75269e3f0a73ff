// Simulated months of the union queue (SPEC §13): 180 days of random orders in every channel,
// refunds before and after their day's payout, a referral tree accelerating promoters, a pause,
// the daily payout run each day; reconcile() clean after every day and the database equal to
// the reference model at the end.
import { createTestDb, TestDb } from '../helpers/db';
import { UnionDriver } from '../helpers/union-driver';

const DAYS = Number(process.env.UNION_SIM_DAYS ?? 180);

/** A small deterministic PRNG (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.close(); });

test(`${DAYS} simulated days: reconcile() clean after each day's payout, the model equal at the end`, async () => {
  const r = rng(20261216);
  const pick = (n: number) => Math.floor(r() * n);
  const d = new UnionDriver(db, { quotaBps: 11000, poolBps: 6000, accelBps: 1000, referralDirectBps: 300 }, -(DAYS + 1));
  await d.setup({
    members: 12, referrals: [null, 0, 0, 1, 1, 2, null, 6, 6, 7, 3, 4],
    costs: [{ kind: 'self', price: 9900, cost: 5000, supply: 0 }, { kind: 'supplier', price: 25000, cost: 0, supply: 18000 },
            { kind: 'supply_chain', price: 4500, cost: 3000, supply: 0 }],
    commissionBps: 1200,
  });
  let exited = 0;
  for (let day = 0; day < DAYS; day++) {
    if (day === 60) await d.apply({ t: 'set', patch: { paused: true } });
    if (day === 63) await d.apply({ t: 'set', patch: { paused: false } });
    const orders = 2 + pick(5);
    for (let i = 0; i < orders; i++) {
      const channel = (['mall', 'mall', 'mall', 'store', 'cashier'] as const)[pick(5)];
      await d.apply({ t: 'buy', member: pick(12), channel, product: pick(3), qty: 1 + pick(2), amount: 1000 + pick(40000),
                      points: r() < 0.2 ? pick(800) : 0, second: r() < 0.2 });
    }
    if (r() < 0.3) await d.apply({ t: 'refund', o: pick(1_000_000) });   // any order: of today (before its payout) or older
    await d.apply({ t: 'day' });
    const { rows } = await db.admin.query(`select * from public.reconcile()`);
    expect({ day, findings: rows }).toEqual({ day, findings: [] });
    exited = d.model.payouts.reduce((t, p) => t + p.entriesPaid, 0);
  }
  await d.compare();
  expect(exited).toBeGreaterThan(0);
  expect(d.model.payouts.filter((p) => p.held)).toHaveLength(3);
}, 900_000);

// Drives the union queue (SPEC §13) in the database and in the reference model
// (client/lib/union-model.ts) with the same operations, and compares them to the fen.
import { UnionChannel, UnionModel, UnionSettings } from '@/lib/union-model';
import { ModelError } from '@/lib/engine-model';
import { TestDb } from './db';
import { complete, createMembers, createOrder, createProduct, createStore, grantBalance, numify, pay, reconcile, refund } from './engine';
import { bind } from './referral';
import { backdate, enableUnion } from './union';

export const SNAKE: Record<keyof UnionSettings, string> = {
  enabled: 'enabled', paused: 'paused', quotaBps: 'union_quota_bps', poolBps: 'union_pool_bps', accelBps: 'union_accel_bps',
  settleEvent: 'settle_event', deductionParticipates: 'deduction_participates', referralDirectBps: 'referral_direct_bps',
};

export type UnionOp =
  | { t: 'buy'; member: number; channel: UnionChannel; product: number; qty: number; amount: number; points: number; second: boolean }
  | { t: 'complete'; o: number }
  | { t: 'refund'; o: number }
  | { t: 'day' }
  | { t: 'set'; patch: Partial<UnionSettings> };

export class UnionDriver {
  model: UnionModel;
  members: string[] = [];
  mall: number[] = [];
  storeId = 0;
  storeProduct = 0;
  orders: Array<{ id: number; no: string; pay: number }> = [];
  /** simulated day 0 is `base` days from today (in the past) */
  constructor(private db: TestDb, settings: Partial<UnionSettings>, private base: number) {
    this.model = new UnionModel(settings);
  }

  async setup(opts: { members: number; referrals: Array<number | null>; costs: Array<{ kind: 'self' | 'supplier' | 'supply_chain'; price: number; cost: number; supply: number }>; commissionBps: number }) {
    const s = this.model.settings;
    await enableUnion(this.db, {
      union_quota_bps: s.quotaBps, union_pool_bps: s.poolBps, union_accel_bps: s.accelBps, paused: s.paused,
      enabled: s.enabled, settle_event: s.settleEvent, deduction_participates: s.deductionParticipates,
      referral_direct_bps: s.referralDirectBps,
    });
    this.members = await createMembers(this.db, opts.members);
    for (const m of this.members) await grantBalance(this.db, m, 'points', 10_000_000);
    for (let i = 0; i < this.members.length; i++) {
      const r = opts.referrals[i];
      if (r !== null && r !== undefined && r < i) {
        await bind(this.db, this.members[i], this.members[r]);
        this.model.bind(this.members[i], this.members[r]);
      }
    }
    for (const c of opts.costs) {
      const id = await createProduct(this.db, { kind: c.kind, priceFen: c.price });
      await this.db.admin.query(`update rebate.products set cost_fen = $2, supply_price_fen = $3 where id = $1`, [id, c.cost, c.supply]);
      this.model.addProduct({ id, kind: c.kind, storeId: null, priceFen: c.price, costFen: c.cost, supplyPriceFen: c.supply });
      this.mall.push(id);
    }
    const { storeId } = await createStore(this.db);
    this.storeId = storeId;
    await this.db.admin.query(`update rebate.stores set commission_bps = $2 where id = $1`, [storeId, opts.commissionBps]);
    this.model.addStore(storeId, opts.commissionBps);
    this.storeProduct = await createProduct(this.db, { storeId, priceFen: 8800 });
    this.model.addProduct({ id: this.storeProduct, kind: 'store', storeId, priceFen: 8800, costFen: 0, supplyPriceFen: 0 });
  }

  /** Runs one operation on both sides: both succeed or both refuse with the same code. */
  async apply(op: UnionOp): Promise<void> {
    const db = this.db;
    switch (op.t) {
      case 'buy': {
        const member = this.members[op.member % this.members.length];
        let body: any;
        if (op.channel === 'mall') {
          const lines = [{ product_id: this.mall[op.product % this.mall.length], quantity: op.qty }];
          if (op.second) lines.push({ product_id: this.mall[(op.product + 1) % this.mall.length], quantity: 1 });
          body = { channel: 'mall', lines };
        } else if (op.channel === 'store') {
          body = { channel: 'store', store_id: this.storeId, lines: [{ product_id: this.storeProduct, quantity: op.qty }] };
        } else {
          body = { channel: 'cashier', store_id: this.storeId, amount_fen: op.amount };
        }
        body.points_fen = op.points;
        let o;
        try { o = await createOrder(db, member, body); } catch (e: any) {
          if (e?.code === 'P0001') return;     // e.g. points beyond the goods: refused, nothing to model
          throw e;
        }
        this.model.create(o.order_id, member, op.channel, op.channel === 'mall' ? null : this.storeId,
          o.lines.map((l) => ({ productId: l.product_id, quantity: l.quantity, amountFen: Number(l.amount_fen),
                                pointsFen: Number(l.points_deduct_fen), loveFen: Number(l.love_deduct_fen) })));
        this.orders.push({ id: o.order_id, no: o.order_no, pay: Number(o.pay_fen) });
        await pay(db, o);
        this.model.pay(o.order_id);
        return;
      }
      case 'complete':
      case 'refund': {
        if (this.orders.length === 0) return;
        const o = this.orders[op.o % this.orders.length];
        let mErr: string | null = null;
        try { op.t === 'complete' ? this.model.complete(o.id) : this.model.refund(o.id); } catch (e) {
          if (!(e instanceof ModelError)) throw e;
          mErr = e.code;
        }
        let dErr: string | null = null;
        try {
          if (op.t === 'complete') await complete(db, o.no);
          else await refund(db, o.no, `R-${o.no}-${this.orders.length}-${Math.random().toString(36).slice(2, 8)}`);
        } catch (e: any) {
          if (e?.code !== 'P0001') throw e;
          dErr = e.message;
        }
        expect({ op: op.t, error: dErr }).toEqual({ op: op.t, error: mErr });
        return;
      }
      case 'day': {
        const day = this.model.day;
        await this.backdateTakebacksAndLines(this.base + day);
        const { rows: t } = await db.admin.query(`
          select (((rebate.shanghai_day(now()) + $1::int + 1)::timestamp
                   + (select s.union_payout_time from rebate.settings s where s.id = 1) + interval '1 minute')
                   at time zone 'Asia/Shanghai')::text as at`, [this.base + day]);
        const r = (await db.call('service_role', null, `select public.run_union_payout($1::timestamptz) as r`, [t[0].at]))[0].r;
        const m = this.model.closeDay();
        expect({ paid: Number(r.paid_fen), carry: Number(r.carry_over_fen), n: r.entries_paid })
          .toEqual({ paid: m.paidFen, carry: m.carryOverFen, n: m.entriesPaid });
        return;
      }
      case 'set': {
        this.model.set(op.patch);
        for (const [k, v] of Object.entries(op.patch)) {
          await db.admin.query(`update rebate.settings set ${SNAKE[k as keyof UnionSettings]} = $1 where id = 1`, [v]);
        }
        return;
      }
    }
  }

  /** The pool days of lines (and of contributions taken back) settled today become the simulated day. */
  private async backdateTakebacksAndLines(offset: number) {
    await backdate(this.db, offset);
    const c = await this.db.admin.connect();
    try {
      await c.query('begin');
      await c.query(`set local session_replication_role = replica`);   // past the append-only trigger: a test's time machine
      await c.query(`update rebate.union_takebacks set day = rebate.shanghai_day(now()) + $1::int where day = rebate.shanghai_day(now())`, [offset]);
      await c.query('commit');
    } finally { c.release(); }
  }

  /** Database and model agree on every entry, line record, payout and wallet; reconcile() is clean. */
  async compare(): Promise<void> {
    const db = this.db;
    expect(await reconcile(db)).toEqual([]);
    const dbEntries = numify((await db.admin.query(`
      select e.member_id, e.order_id, l.line_no::int as line_no, e.quota_fen, e.received_fen, e.accelerated_fen, e.closed_fen, e.status
        from rebate.union_entries e join rebate.order_lines l on l.id = e.line_id order by e.id`)).rows);
    expect(dbEntries).toEqual(this.model.entries.map((e) => ({ member_id: e.member, order_id: e.orderId, line_no: e.lineNo,
      quota_fen: e.quotaFen, received_fen: e.receivedFen, accelerated_fen: e.acceleratedFen, closed_fen: e.closedFen, status: e.status })));
    const dbLines = numify((await db.admin.query(`
      select u.order_id, l.line_no::int as line_no, u.day - rebate.shanghai_day(now()) - $1::int as sim_day, u.gross_fen, u.rewards_fen,
             u.subsidy_fen, u.net_profit_fen, u.contribution_fen, u.accel_fen
        from rebate.union_lines u join rebate.order_lines l on l.id = u.line_id order by u.order_id, l.line_no`, [this.base])).rows);
    const today = this.model.day;
    const mLines = [...this.model.lines].sort((a, b) => a.orderId - b.orderId || a.lineNo - b.lineNo).map((l) => ({
      order_id: l.orderId, line_no: l.lineNo,
      // lines of the day still open are still dated today in the database
      sim_day: l.day === today ? `today` : l.day, gross_fen: l.grossFen, rewards_fen: l.rewardsFen, subsidy_fen: l.subsidyFen,
      net_profit_fen: l.netProfitFen, contribution_fen: l.contributionFen, accel_fen: l.accelFen }));
    expect(dbLines.map((l: any) => ({ ...l, sim_day: l.sim_day === -this.base ? 'today' : l.sim_day }))).toEqual(mLines);
    const dbPayouts = numify((await db.admin.query(`
      select day - rebate.shanghai_day(now()) - $1::int as day, carry_in_fen, contribution_fen, acceleration_fen, takeback_fen,
             available_fen, paid_fen, entries_paid, carry_over_fen, held
        from rebate.union_payouts order by day`, [this.base])).rows);
    expect(dbPayouts).toEqual(this.model.payouts.map((p) => ({ day: p.day, carry_in_fen: p.carryInFen, contribution_fen: p.contributionFen,
      acceleration_fen: p.accelerationFen, takeback_fen: p.takebackFen, available_fen: p.availableFen, paid_fen: p.paidFen,
      entries_paid: p.entriesPaid, carry_over_fen: p.carryOverFen, held: p.held })));
    const cash = numify((await db.admin.query(`select member_id, cash_fen from rebate.wallets where member_id = any($1::uuid[]) order by member_id`, [this.members])).rows);
    expect(cash).toEqual([...this.members].sort().map((m) => ({ member_id: m, cash_fen: this.model.cash.get(m) ?? 0 })));
    expect(this.model.poolBalance()).toBeGreaterThanOrEqual(0);
  }
}

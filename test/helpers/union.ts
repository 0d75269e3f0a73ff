// Helpers for the union queue tests (SPEC §13): settings, simulated days and reading the
// union rows back as plain numbers. Days are simulated by moving the pool day of the lines
// settled today (rebate.union_lines.day) to a day in the past, then running the payout with
// a clock just after that day's payout time: the engine itself never reads a fake clock.
import { TestDb } from './db';
import { numify, setSettings } from './engine';

export interface UnionSettings {
  union_quota_bps?: number;
  union_pool_bps?: number;
  union_accel_bps?: number;
  paused?: boolean;
  enabled?: boolean;
  settle_event?: 'paid' | 'completed';
  deduction_participates?: boolean;
  referral_direct_bps?: number;
  referral_indirect_bps?: number;
}

/** Union mode on (direct write, bypassing the mode-switch check only when nothing waits anyway). */
export async function enableUnion(db: TestDb, patch: UnionSettings = {}): Promise<void> {
  await setSettings(db, { enabled: true } as any);
  await db.admin.query(`update rebate.settings set programme_mode = 'union' where id = 1`);
  const keys = Object.keys(patch);
  if (keys.length) {
    const sets = keys.map((k, i) => `${k} = $${i + 1}`).join(', ');
    await db.admin.query(`update rebate.settings set ${sets} where id = 1`, keys.map((k) => (patch as any)[k]));
  }
}

export async function setCost(db: TestDb, productId: number, costFen: number, supplyPriceFen = 0) {
  await db.admin.query(`update rebate.products set cost_fen = $2, supply_price_fen = $3 where id = $1`, [productId, costFen, supplyPriceFen]);
}

export async function setCommission(db: TestDb, storeId: number, bps: number) {
  await db.admin.query(`update rebate.stores set commission_bps = $2 where id = $1`, [storeId, bps]);
}

/** The Shanghai date `offset` days from today, as YYYY-MM-DD. */
export async function dayOf(db: TestDb, offset: number): Promise<string> {
  const { rows } = await db.admin.query(`select to_char(rebate.shanghai_day(now()) + $1::int, 'YYYY-MM-DD') as d`, [offset]);
  return rows[0].d;
}

/** Moves the pool day of every line settled today to today + offset (offset < 0). */
export async function backdate(db: TestDb, offset: number): Promise<number> {
  const r = await db.admin.query(
    `update rebate.union_lines set day = rebate.shanghai_day(now()) + $1::int where day = rebate.shanghai_day(now())`, [offset]);
  return r.rowCount ?? 0;
}

/** Runs the payout as the clock would, `minutes` after the payout time of the day after today + offset. */
export async function payout(db: TestDb, offset: number, minutes = 1): Promise<any> {
  const { rows: t } = await db.admin.query(`
    select (((rebate.shanghai_day(now()) + $1::int + 1)::timestamp
             + (select s.union_payout_time from rebate.settings s where s.id = 1) + make_interval(mins => $2::int))
             at time zone 'Asia/Shanghai')::text as at`, [offset, minutes]);
  const rows = await db.call('service_role', null, `select public.run_union_payout($1::timestamptz) as r`, [t[0].at]);
  return numify([rows[0].r])[0];
}

/** backdate + payout: closes the simulated day today + offset. */
export async function closeDay(db: TestDb, offset: number): Promise<any> {
  await backdate(db, offset);
  return payout(db, offset);
}

export interface UnionEntryRow {
  id: number; member_id: string; order_no: string; line_no: number; quota_fen: number; received_fen: number;
  accelerated_fen: number; closed_fen: number; status: string;
}

export async function unionEntries(db: TestDb): Promise<UnionEntryRow[]> {
  const { rows } = await db.admin.query(`
    select e.id, e.member_id, o.order_no, l.line_no::int, e.quota_fen, e.received_fen, e.accelerated_fen, e.closed_fen, e.status
      from rebate.union_entries e join rebate.orders o on o.id = e.order_id join rebate.order_lines l on l.id = e.line_id
     order by e.id`);
  return numify(rows);
}

export async function unionLines(db: TestDb) {
  const { rows } = await db.admin.query(`
    select o.order_no, l.line_no::int, u.day::text, u.gross_fen, u.rewards_fen, u.subsidy_fen, u.net_profit_fen,
           u.contribution_fen, u.accel_fen, u.referrer_id
      from rebate.union_lines u join rebate.order_lines l on l.id = u.line_id join rebate.orders o on o.id = u.order_id
     order by u.line_id`);
  return numify(rows);
}

export async function payouts(db: TestDb) {
  const { rows } = await db.admin.query(`select day::text, carry_in_fen, contribution_fen, acceleration_fen, takeback_fen,
                                                available_fen, paid_fen, entries_paid, carry_over_fen, held
                                           from rebate.union_payouts order by day`);
  return numify(rows);
}

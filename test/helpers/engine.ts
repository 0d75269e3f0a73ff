// Helpers for the queue rebate engine tests: arrange the catalog and settings as the
// superuser, act through the real RPCs as each role (member: authenticated, payment and
// fulfilment: service_role), and read the resulting state back as plain numbers.
import { createMember, TestDb } from './db';

export type Channel = 'mall' | 'store' | 'cashier';

export interface SettingsPatch {
  enabled?: boolean;
  deduction_participates?: boolean;
  settle_event?: 'paid' | 'completed';
  reward_rule?: 'queue_order' | 'completed_queue_order';
  extraction_bps?: number;
  default_reward_bps?: number;
  merchant_queue?: boolean;
  all_stores_queue?: boolean;
  all_cashiers_queue?: boolean;
  paused?: boolean;
  show_process?: boolean;
  show_received?: boolean;
  show_waiting?: boolean;
  show_member_info?: boolean;
  show_waiting_amount?: boolean;
  display_name?: string;
}

const IDENT = /^[a-z_]+$/;

/** Writes settings directly (superuser), bypassing the admin RPC. */
export async function setSettings(db: TestDb, patch: SettingsPatch): Promise<void> {
  const keys = Object.keys(patch);
  if (keys.length === 0) return;
  for (const k of keys) if (!IDENT.test(k)) throw new Error(`bad settings key ${k}`);
  const sets = keys.map((k, i) => `${k} = $${i + 1}`).join(', ');
  await db.admin.query(`update rebate.settings set ${sets} where id = 1`, keys.map((k) => (patch as any)[k]));
}

/** Turns the programme on with the given ratios (defaults: 100% reward, 10% extraction). */
export async function enableRebate(db: TestDb, patch: SettingsPatch = {}): Promise<void> {
  await setSettings(db, { enabled: true, default_reward_bps: 10000, extraction_bps: 1000, ...patch });
}

let skuCounter = 0;

export interface ProductOpts {
  kind?: 'self' | 'supplier' | 'supply_chain' | 'store';
  storeId?: number;
  priceFen?: number;
  rewardBps?: number | null;
  extractionBps?: number | null;
  rebateEnabled?: boolean;
  listed?: boolean;
  name?: string;
}

export async function createProduct(db: TestDb, o: ProductOpts = {}): Promise<number> {
  skuCounter += 1;
  const kind = o.kind ?? (o.storeId ? 'store' : 'self');
  const { rows } = await db.admin.query(
    `insert into rebate.products (sku, kind, store_id, name, price_fen, reward_bps, extraction_bps, rebate_enabled, listed)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id::int`,
    [`T${process.pid}-${skuCounter}`, kind, o.storeId ?? null, o.name ?? `商品${skuCounter}`, o.priceFen ?? 10000,
     o.rewardBps ?? null, o.extractionBps ?? null, o.rebateEnabled ?? true, o.listed ?? true]);
  return rows[0].id;
}

export interface StoreOpts {
  status?: 'pending' | 'approved' | 'suspended';
  rebateEnabled?: boolean;
  rewardBps?: number | null;
  extractionBps?: number | null;
  cashier?: { rebateEnabled?: boolean; rewardBps?: number | null; extractionBps?: number | null } | false;
  name?: string;
}

let storeCounter = 0;

export async function createStore(db: TestDb, o: StoreOpts = {}): Promise<{ storeId: number; cashierId: number | null }> {
  storeCounter += 1;
  const code = `S${process.pid}X${storeCounter}`.replace(/[^A-Z0-9]/g, '').slice(0, 16).padEnd(4, '0');
  const { rows } = await db.admin.query(
    `insert into rebate.stores (code, name, status, rebate_enabled, reward_bps, extraction_bps)
     values ($1, $2, $3, $4, $5, $6) returning id::int`,
    [code, o.name ?? `门店${storeCounter}`, o.status ?? 'approved', o.rebateEnabled ?? true, o.rewardBps ?? null,
     o.extractionBps ?? null]);
  const storeId = rows[0].id;
  if (o.cashier === false) return { storeId, cashierId: null };
  const c = o.cashier ?? {};
  const { rows: cr } = await db.admin.query(
    `insert into rebate.cashiers (store_id, code, rebate_enabled, reward_bps, extraction_bps)
     values ($1, $2, $3, $4, $5) returning id::int`,
    [storeId, `${code}C`, c.rebateEnabled ?? true, c.rewardBps ?? null, c.extractionBps ?? null]);
  return { storeId, cashierId: cr[0].id };
}

export async function createMembers(db: TestDb, n: number, opts: { isAdmin?: boolean } = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await createMember(db, { nickname: `会员${i + 1}`, ...opts }));
  return ids;
}

/** Credits points / love value to a member (superuser, ledger reason admin_adjustment). */
export async function grantBalance(db: TestDb, member: string, asset: 'points' | 'love' | 'cash', amount: number) {
  await db.admin.query(`select rebate.post_ledger($1, $2, $3, 'admin_adjustment')`, [member, asset, amount]);
}

export interface OrderJson {
  order_id: number;
  order_no: string;
  channel: Channel;
  status: string;
  goods_fen: number;
  points_deduct_fen: number;
  love_deduct_fen: number;
  pay_fen: number;
  refunded_fen: number;
  lines: Array<{
    line_no: number; product_id: number | null; quantity: number; amount_fen: number; pay_fen: number;
    points_deduct_fen: number; love_deduct_fen: number; joined: boolean; entry_id: number | null;
    entitlement_fen: number; reward_bps: number | null; reward_rule_label: string | null; no_entry_reason: string | null;
  }>;
  [k: string]: unknown;
}

export async function createOrder(db: TestDb, member: string, body: unknown): Promise<OrderJson> {
  const rows = await db.call('authenticated', member, `select to_jsonb(public.create_order($1::jsonb)) as o`, [JSON.stringify(body)]);
  return rows[0].o;
}

export function mallOrder(lines: Array<[number, number]>, extra: Record<string, unknown> = {}) {
  return { channel: 'mall', lines: lines.map(([product_id, quantity]) => ({ product_id, quantity })), ...extra };
}

export async function pay(db: TestDb, order: { order_no: string; pay_fen: number }, ref?: string) {
  const rows = await db.call('service_role', null, `select public.mark_order_paid($1, $2, $3) as r`,
    [order.order_no, ref ?? `pay-${order.order_no}`, order.pay_fen]);
  return rows[0].r;
}

export async function complete(db: TestDb, orderNo: string) {
  const rows = await db.call('service_role', null, `select public.complete_order($1) as r`, [orderNo]);
  return rows[0].r;
}

export async function refund(db: TestDb, orderNo: string, ref: string, lineNos: number[] | null = null) {
  const rows = await db.call('service_role', null, `select public.refund_order($1, $2, $3) as r`, [orderNo, ref, lineNos]);
  return rows[0].r;
}

export async function cancel(db: TestDb, orderNo: string) {
  const rows = await db.call('service_role', null, `select to_jsonb(public.cancel_order($1)) as r`, [orderNo]);
  return rows[0].r;
}

/** Creates and pays a mall order of one product (quantity 1 unless given). */
export async function buy(db: TestDb, member: string, productId: number, quantity = 1, extra: Record<string, unknown> = {}) {
  const o = await createOrder(db, member, mallOrder([[productId, quantity]], extra));
  await pay(db, o);
  return o;
}

export interface EntryRow {
  id: number;
  queue_id: number;
  queue_key: string;
  seq: number;
  member_id: string;
  order_no: string;
  line_no: number;
  base_fen: number;
  reward_bps: number;
  rule_code: string;
  entitlement_fen: number;
  received_fen: number;
  closed_fen: number;
  status: string;
  order_completed: boolean;
}

/** A queue's stable name across runs: scope[:ref][#generation of a product queue]. */
export const QUEUE_KEY_SQL = `(q.scope || coalesce(':' || coalesce(q.product_id, q.store_id, q.cashier_id)::text, '')
  || case when q.scope = 'product'
          then '#' || (select count(*) from rebate.queues q2 where q2.product_id = q.product_id and q2.id <= q.id)::text
          else '' end)`;

export async function entries(db: TestDb): Promise<EntryRow[]> {
  const { rows } = await db.admin.query(`
    select e.id::int, e.queue_id::int, ${QUEUE_KEY_SQL} as queue_key, e.seq::int, e.member_id, o.order_no,
           l.line_no::int, e.base_fen::float8 as base_fen, e.reward_bps, e.rule_code,
           e.entitlement_fen::float8 as entitlement_fen, e.received_fen::float8 as received_fen,
           e.closed_fen::float8 as closed_fen, e.status, e.order_completed
      from rebate.entries e
      join rebate.queues q on q.id = e.queue_id
      join rebate.orders o on o.id = e.order_id
      join rebate.order_lines l on l.id = e.line_id
     order by e.queue_id, e.seq`);
  return rows;
}

export interface DistributionRow { id: number; source_order_no: string; source_line_no: number; entry_id: number; entry_order_no: string; member_id: string; amount_fen: number }

export async function distributions(db: TestDb): Promise<DistributionRow[]> {
  const { rows } = await db.admin.query(`
    select d.id::int, so.order_no as source_order_no, sl.line_no::int as source_line_no, d.entry_id::int,
           eo.order_no as entry_order_no, d.member_id, d.amount_fen::float8 as amount_fen
      from rebate.distributions d
      join rebate.order_lines sl on sl.id = d.source_line_id
      join rebate.orders so on so.id = sl.order_id
      join rebate.entries e on e.id = d.entry_id
      join rebate.orders eo on eo.id = e.order_id
     order by d.id`);
  return rows;
}

export interface RetentionRow { order_no: string; line_no: number; amount_fen: number; reason: string }

export async function retentions(db: TestDb): Promise<RetentionRow[]> {
  const { rows } = await db.admin.query(`
    select o.order_no, l.line_no::int, r.amount_fen::float8 as amount_fen, r.reason
      from rebate.retentions r
      join rebate.order_lines l on l.id = r.source_line_id
      join rebate.orders o on o.id = l.order_id
     order by r.id`);
  return rows;
}

export interface WalletRow { member_id: string; cash_fen: number; points: number; love_fen: number }

export async function wallet(db: TestDb, member: string): Promise<WalletRow> {
  const { rows } = await db.admin.query(
    `select member_id, cash_fen::float8 as cash_fen, points::float8 as points, love_fen::float8 as love_fen
       from rebate.wallets where member_id = $1`, [member]);
  return rows[0];
}

export async function lineOf(db: TestDb, orderNo: string, lineNo = 1) {
  const { rows } = await db.admin.query(`
    select l.queue_id::int, ${QUEUE_KEY_SQL} as queue_key, l.seq::int, l.pay_below_seq::int, l.no_entry_reason,
           l.reward_bps, l.reward_rule_code, l.reward_rule_label, l.extraction_bps,
           l.entitlement_fen::float8 as entitlement_fen, l.extraction_fen::float8 as extraction_fen,
           l.settled_at is not null as settled, l.distributed_fen::float8 as distributed_fen,
           l.retained_fen::float8 as retained_fen, l.refunded_at is not null as refunded,
           l.refund_fen::float8 as refund_fen, l.clawback_fen::float8 as clawback_fen,
           l.shortfall_fen::float8 as shortfall_fen, l.cost_fen::float8 as cost_fen, l.pay_fen::float8 as pay_fen
      from rebate.order_lines l
      join rebate.orders o on o.id = l.order_id
      left join rebate.queues q on q.id = l.queue_id
     where o.order_no = $1 and l.line_no = $2`, [orderNo, lineNo]);
  return rows[0];
}

export async function reconcile(db: TestDb) {
  return db.call('service_role', null, `select * from public.reconcile()`);
}

/** Fails with the differences when reconcile() reports any. */
export async function expectHealthy(db: TestDb) {
  expect(await reconcile(db)).toEqual([]);
}

/** Received amounts of the entries in queue order, in fen: a compact picture of a queue. */
export async function received(db: TestDb, queueKey?: string): Promise<number[]> {
  return (await entries(db)).filter((e) => !queueKey || e.queue_key === queueKey).map((e) => e.received_fen);
}

const NUMERIC_KEY = /(_fen|^id|_id|^seq|^position|^points|^delta|^balance_before|^balance_after|^n|_count|_bps)$/;

/** node-pg returns bigint as strings: turns the money, id and count columns of rows into numbers. */
export function numify<T extends Record<string, any>>(rows: T[]): T[] {
  return rows.map((r) => {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(r)) {
      out[k] = typeof v === 'string' && NUMERIC_KEY.test(k) && /^-?\d+$/.test(v) ? Number(v) : v;
    }
    return out as T;
  });
}

/** One statement as a role (committed), with bigint columns as numbers. */
export async function callNum(db: TestDb, role: 'anon' | 'authenticated' | 'service_role', sub: string | null,
                              sql: string, params: unknown[] = []) {
  return numify(await db.call(role, sub, sql, params));
}

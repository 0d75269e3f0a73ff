// Helpers for the referral, rewards, merchant onboarding and withdrawal tests (SPEC §11):
// arrange team levels and referral chains as the superuser, act through the real RPCs, and
// read rewards and commission balances back as plain numbers.
import type { TestDb } from './db';
import { numify } from './engine';

/** Every public RPC of the referral area and the roles that may execute it (see docs/referral.md). */
export const REFERRAL_RPCS: Record<string, { authenticated: boolean; service_role: boolean }> = {
  // referral
  'my_invite()': { authenticated: true, service_role: false },
  'invite_info(text)': { authenticated: true, service_role: false },
  'bind_referrer(text,text)': { authenticated: true, service_role: false },
  'list_team_levels()': { authenticated: true, service_role: false },
  'admin_upsert_team_level(jsonb)': { authenticated: true, service_role: false },
  'admin_set_member_team_level(text,smallint)': { authenticated: true, service_role: false },
  'admin_member_referral(text)': { authenticated: true, service_role: false },
  // rewards
  'my_team_summary()': { authenticated: true, service_role: false },
  'my_team(integer,bigint,integer)': { authenticated: true, service_role: false },
  'my_rewards(text,bigint,integer)': { authenticated: true, service_role: false },
  'admin_dividend_overview(integer)': { authenticated: true, service_role: false },
  'run_dividend(timestamp with time zone)': { authenticated: false, service_role: true },
  // merchant onboarding
  'merchant_invite_info(text)': { authenticated: true, service_role: false },
  'submit_merchant_application(text,text,text,text,text,text)': { authenticated: true, service_role: false },
  'my_merchant_applications()': { authenticated: true, service_role: false },
  'my_stores()': { authenticated: true, service_role: false },
  'store_orders(bigint,text,bigint,integer)': { authenticated: true, service_role: false },
  'store_queue_stats(bigint)': { authenticated: true, service_role: false },
  'admin_list_merchant_applications(text,bigint,integer)': { authenticated: true, service_role: false },
  'admin_approve_merchant_application(bigint)': { authenticated: true, service_role: false },
  'admin_reject_merchant_application(bigint,text)': { authenticated: true, service_role: false },
  'admin_create_merchant_invite_code(text)': { authenticated: true, service_role: false },
  'admin_list_merchant_invite_codes()': { authenticated: true, service_role: false },
  'admin_set_merchant_invite_code_active(text,boolean)': { authenticated: true, service_role: false },
  'admin_list_stores(text)': { authenticated: true, service_role: false },
  'admin_update_store(bigint,jsonb)': { authenticated: true, service_role: false },
  'admin_update_cashier(bigint,jsonb)': { authenticated: true, service_role: false },
  // withdrawals
  'my_withdrawal_info()': { authenticated: true, service_role: false },
  'request_withdrawal(text,bigint)': { authenticated: true, service_role: false },
  'my_withdrawals(bigint,integer)': { authenticated: true, service_role: false },
  'admin_list_withdrawals(text,bigint,integer)': { authenticated: true, service_role: false },
  'admin_approve_withdrawal(bigint,text)': { authenticated: true, service_role: false },
  'admin_reject_withdrawal(bigint,text)': { authenticated: true, service_role: false },
  // mini-program codes
  'qrcode_target(text,bigint,text)': { authenticated: true, service_role: false },
  'qrcode_store(text,text,text,text,text)': { authenticated: false, service_role: true },
  'wechat_token_get(text)': { authenticated: false, service_role: true },
  'wechat_token_put(text,text,integer)': { authenticated: false, service_role: true },
  'wechat_token_invalidate(text,text)': { authenticated: false, service_role: true },
};

export interface RewardSettings {
  referral_direct_bps?: number;
  referral_indirect_bps?: number;
  level_diff_cap_bps?: number;
  level_diff_max_depth?: number;
  dividend_bps?: number;
  dividend_period?: 'daily' | 'weekly' | 'monthly';
  merchant_recruit_bps?: number;
  payout_cap_bps?: number;
  withdraw_min_fen?: number;
  withdraw_fee_bps?: number;
  withdraw_daily_limit?: number;
}

const IDENT = /^[a-z_]+$/;

/** Writes referral settings directly (superuser); the guardrail trigger still applies. */
export async function setRewardSettings(db: TestDb, patch: RewardSettings): Promise<void> {
  const keys = Object.keys(patch);
  if (keys.length === 0) return;
  for (const k of keys) if (!IDENT.test(k)) throw new Error(`bad settings key ${k}`);
  await db.admin.query(`update rebate.settings set ${keys.map((k, i) => `${k} = $${i + 1}`).join(', ')} where id = 1`,
    keys.map((k) => (patch as any)[k]));
}

export interface TeamLevel { id: number; name: string; diffBps?: number; dividendWeight?: number; canRecruit?: boolean }

export async function createTeamLevel(db: TestDb, l: TeamLevel): Promise<number> {
  await db.admin.query(
    `insert into rebate.team_levels (id, name, rank, diff_bps, dividend_weight, can_recruit_merchants)
     values ($1, $2, $1, $3, $4, $5)`,
    [l.id, l.name, l.diffBps ?? 0, l.dividendWeight ?? 0, l.canRecruit ?? false]);
  return l.id;
}

export async function setTeamLevel(db: TestDb, member: string, levelId: number | null): Promise<void> {
  if (levelId === null) {
    await db.admin.query(`delete from rebate.promoters where member_id = $1`, [member]);
    return;
  }
  await db.admin.query(
    `insert into rebate.promoters (member_id, team_level_id) values ($1, $2)
     on conflict (member_id) do update set team_level_id = excluded.team_level_id`, [member, levelId]);
}

export async function memberCode(db: TestDb, member: string): Promise<string> {
  const { rows } = await db.admin.query(`select member_code from rebate.members where id = $1`, [member]);
  return rows[0].member_code;
}

/** member binds to referrer through the real RPC (as the member). */
export async function bind(db: TestDb, member: string, referrer: string, source = 'scan') {
  const code = await memberCode(db, referrer);
  const rows = await db.call('authenticated', member, `select to_jsonb(public.bind_referrer($1, $2)) as r`, [code, source]);
  return rows[0].r;
}

/** Binds members[i+1] to members[i]: a chain where members[0] is the top. */
export async function bindChain(db: TestDb, members: string[]): Promise<void> {
  for (let i = 1; i < members.length; i++) await bind(db, members[i], members[i - 1]);
}

export interface RewardRow {
  id: number;
  kind: string;
  member_id: string;
  order_id: number | null;
  line_id: number | null;
  source_member_id: string | null;
  depth: number | null;
  team_level_id: number | null;
  rate_bps: number;
  rule_label: string;
  base_fen: number;
  budget_fen: number | null;
  amount_fen: number;
  capped: boolean;
  reversed_fen: number;
  shortfall_fen: number;
  reversed: boolean;
}

export async function rewards(db: TestDb): Promise<RewardRow[]> {
  const { rows } = await db.admin.query(`
    select id, kind, member_id, order_id, line_id, source_member_id, depth, team_level_id, rate_bps, rule_label,
           base_fen, budget_fen, amount_fen, capped, reversed_fen, shortfall_fen, reversed_at is not null as reversed
      from rebate.rewards order by id`);
  return numify(rows).map((r: any) => ({ ...r, depth: r.depth === null ? null : Number(r.depth),
    team_level_id: r.team_level_id === null ? null : Number(r.team_level_id) }));
}

export async function commission(db: TestDb, member: string): Promise<number> {
  const { rows } = await db.admin.query(`select commission_fen::float8 as c from rebate.wallets where member_id = $1`, [member]);
  return rows[0].c;
}

export async function cash(db: TestDb, member: string): Promise<number> {
  const { rows } = await db.admin.query(`select cash_fen::float8 as c from rebate.wallets where member_id = $1`, [member]);
  return rows[0].c;
}

export async function makeAdmin(db: TestDb, member: string): Promise<void> {
  await db.admin.query(`update rebate.members set is_admin = true where id = $1`, [member]);
}

/** One RPC as a member, committed; returns the first column of the first row. */
export async function rpc<T = any>(db: TestDb, member: string, sql: string, params: unknown[] = []): Promise<T> {
  const rows = await db.call('authenticated', member, sql, params);
  return rows[0] ? (Object.values(rows[0])[0] as T) : (undefined as T);
}

/** Runs fn over the items with `workers` concurrent callers; returns the results or errors in item order. */
export async function concurrently<T, R>(workers: number, items: T[], fn: (item: T) => Promise<R>) {
  let next = 0;
  const out: Array<{ ok: true; value: R } | { ok: false; error: any }> = new Array(items.length);
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < items.length) {
      const i = next++;
      try { out[i] = { ok: true, value: await fn(items[i]) }; } catch (error) { out[i] = { ok: false, error }; }
    }
  }));
  return out;
}

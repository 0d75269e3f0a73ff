// Helpers for the entitlement-rules tests (SPEC §4–9): member levels, independent settings
// of products / stores / cashiers, and the member actions (lottery, exchange, transfer) and
// the clearing run through their real RPCs.
import { createMember, TestDb } from './db';
import { callNum } from './engine';

/** The rules' RPCs and the roles that may execute them (grants test). */
export const RULES_RPCS: Record<string, { authenticated: boolean; service_role: boolean }> = {
  'draw_lottery(bigint)': { authenticated: true, service_role: false },
  'preview_exchange(bigint,text)': { authenticated: true, service_role: false },
  'exchange_entry(bigint,text)': { authenticated: true, service_role: false },
  'transfer_points(text,bigint)': { authenticated: true, service_role: false },
  'my_entries(text,bigint,integer)': { authenticated: true, service_role: false },
  'queue_process(bigint,integer)': { authenticated: true, service_role: false },
  'admin_list_member_levels()': { authenticated: true, service_role: false },
  'admin_save_member_level(smallint,text,smallint)': { authenticated: true, service_role: false },
  'admin_delete_member_level(smallint)': { authenticated: true, service_role: false },
  'admin_set_member_level(text,smallint)': { authenticated: true, service_role: false },
  'admin_get_rule_settings(text,bigint)': { authenticated: true, service_role: false },
  'admin_update_rule_settings(text,bigint,jsonb)': { authenticated: true, service_role: false },
  'clear_queues(timestamp with time zone)': { authenticated: false, service_role: true },
};

export type Target = 'product' | 'store' | 'cashier';

const IDENT = /^[a-z_]+$/;
const TABLE: Record<Target, string> = { product: 'products', store: 'stores', cashier: 'cashiers' };

/** Writes independent settings directly (superuser): jsonb values are passed as JSON. */
export async function setRule(db: TestDb, target: Target, id: number, patch: Record<string, unknown>): Promise<void> {
  const keys = Object.keys(patch);
  if (keys.length === 0) return;
  for (const k of keys) if (!IDENT.test(k)) throw new Error(`bad key ${k}`);
  const sets = keys.map((k, i) => `${k} = $${i + 2}`).join(', ');
  const vals = keys.map((k) => {
    const v = patch[k];
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  });
  await db.admin.query(`update rebate.${TABLE[target]} set ${sets} where id = $1`, [id, ...vals]);
}

/** Writes plugin settings directly (superuser), jsonb values as JSON. */
export async function setPlugin(db: TestDb, patch: Record<string, unknown>): Promise<void> {
  const keys = Object.keys(patch);
  for (const k of keys) if (!IDENT.test(k)) throw new Error(`bad key ${k}`);
  const sets = keys.map((k, i) => `${k} = $${i + 1}`).join(', ');
  const vals = keys.map((k) => {
    const v = patch[k];
    return v !== null && typeof v === 'object' ? JSON.stringify(v) : v;
  });
  await db.admin.query(`update rebate.settings set ${sets} where id = 1`, vals);
}

/** Creates member levels (superuser). */
export async function createLevels(db: TestDb, levels: Array<[number, string, number]>): Promise<void> {
  for (const [id, name, rank] of levels) {
    await db.admin.query(`insert into rebate.member_levels (id, name, rank) values ($1, $2, $3)`, [id, name, rank]);
  }
}

export async function setMemberLevel(db: TestDb, member: string, levelId: number): Promise<void> {
  await db.admin.query(`update rebate.members set level_id = $2 where id = $1`, [member, levelId]);
}

export async function createAdmin(db: TestDb): Promise<string> {
  return createMember(db, { nickname: '管理员', isAdmin: true });
}

export async function memberCode(db: TestDb, member: string): Promise<string> {
  const { rows } = await db.admin.query(`select member_code from rebate.members where id = $1`, [member]);
  return rows[0].member_code;
}

export async function draw(db: TestDb, member: string, entryId: number) {
  const [{ r }] = await callNum(db, 'authenticated', member, `select to_jsonb(public.draw_lottery($1)) as r`, [entryId]);
  return r;
}

export async function previewExchange(db: TestDb, member: string, entryId: number, target: 'points' | 'love') {
  const [{ r }] = await callNum(db, 'authenticated', member, `select to_jsonb(public.preview_exchange($1, $2)) as r`, [entryId, target]);
  return r;
}

export async function exchange(db: TestDb, member: string, entryId: number, target: 'points' | 'love') {
  const [{ r }] = await callNum(db, 'authenticated', member, `select to_jsonb(public.exchange_entry($1, $2)) as r`, [entryId, target]);
  return r;
}

export async function transfer(db: TestDb, member: string, code: string, points: number) {
  const [{ r }] = await callNum(db, 'authenticated', member, `select to_jsonb(public.transfer_points($1, $2)) as r`, [code, points]);
  return r;
}

export async function clearQueues(db: TestDb, at: string) {
  const [{ r }] = await callNum(db, 'service_role', null, `select public.clear_queues($1::timestamptz) as r`, [at]);
  return r;
}

export async function myEntries(db: TestDb, member: string) {
  const rows = await callNum(db, 'authenticated', member, `select * from public.my_entries(null, null, 100)`);
  return rows.map((r) => ({ ...r, converted_amount: r.converted_amount === null ? null : Number(r.converted_amount) }));
}

/** The terms a paid line got: ratio, rule, entitlement, why no entry. */
export async function lineTerms(db: TestDb, orderNo: string, lineNo = 1) {
  const { rows } = await db.admin.query(`
    select l.reward_bps, l.reward_rule_code as rule, l.reward_rule_label as label, l.entitlement_fen::float8 as ent,
           l.extraction_fen::float8 as ext, l.no_entry_reason as why, e.id::int as entry_id
      from rebate.order_lines l join rebate.orders o on o.id = l.order_id
      left join rebate.entries e on e.line_id = l.id
     where o.order_no = $1 and l.line_no = $2`, [orderNo, lineNo]);
  return rows[0];
}

/**
 * Creates and pays `n` orders in one statement (superuser acting as each member in turn):
 * thousands of joins in seconds. Returns nothing; read the state back afterwards.
 */
export async function bulkOrders(db: TestDb, members: string[], body: Record<string, unknown>, n: number): Promise<void> {
  await db.admin.query(`
    do $$
    declare
      v_members uuid[] := $m$${`{${members.join(',')}}`}$m$::uuid[];
      o jsonb;
    begin
      for i in 1 .. ${Number(n)} loop
        perform set_config('request.jwt.claims',
          json_build_object('role', 'authenticated', 'sub', v_members[1 + (i - 1) % cardinality(v_members)])::text, true);
        o := to_jsonb(public.create_order($b$${JSON.stringify(body)}$b$::jsonb));
        perform public.mark_order_paid(o ->> 'order_no', 'bulk-' || (o ->> 'order_id'), (o ->> 'pay_fen')::bigint);
      end loop;
    end;
    $$`);
}

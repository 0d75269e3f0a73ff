// Shared by the authorization matrix and the fuzz suite: a seeded database with a gateway,
// the API's functions read from the catalog, raw calls as each caller, and a digest of every
// table that tells whether a call wrote anything.
import type { Pool } from 'pg';
import { createMember, createTestDb, TestDb } from './db';
import { buy, createProduct, createStore, enableRebate, grantBalance } from './engine';
import { ANON_KEY, SERVICE_ROLE_KEY, signTestJwt, startTestGateway, TestGateway } from './gateway';

export type Role = 'anon' | 'member' | 'other' | 'owner' | 'operations' | 'finance' | 'admin' | 'service_role';

export interface ApiFunction {
  name: string;
  args: Array<{ name: string; type: string; hasDefault: boolean }>;
}

export interface SecurityStack {
  db: TestDb;
  gw: TestGateway;
  tokens: Record<Role, string>;
  members: { member: string; other: string; owner: string; operations: string; finance: string; admin: string };
  /** objects owned by `member` (the store by `owner`), none of `other`'s */
  owned: { entry: number; order: number; store: number; refund_request: number; withdrawal: number };
  close(): Promise<void>;
}

/** Members (one an administrator and one a store owner), a product, an order, an entry. */
export async function startSecurityStack(): Promise<SecurityStack> {
  const db = await createTestDb();
  await enableRebate(db, { merchant_queue: true });
  const product = await createProduct(db);
  const member = await createMember(db, { nickname: '会员甲' });
  const other = await createMember(db, { nickname: '会员乙' });
  const admin = await createMember(db, { nickname: '管理员', isAdmin: true });
  const owner = await createMember(db, { nickname: '店主' });
  const operations = await createMember(db, { nickname: '运营' });
  const finance = await createMember(db, { nickname: '财务' });
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations'), ($2, 'finance')`, [operations, finance]);
  for (const m of [member, other]) {
    await grantBalance(db, m, 'points', 5000);
    await grantBalance(db, m, 'cash', 5000);
  }
  await buy(db, other, product);
  const order = await buy(db, member, product);
  const { storeId } = await createStore(db);
  await db.admin.query(`update rebate.stores set owner_member_id = $1 where id = $2`, [owner, storeId]);   // 店主 follows
  const entry = (await db.admin.query(`select id::int from rebate.entries where member_id = $1 order by id limit 1`, [member])).rows[0].id;
  await db.admin.query(`create schema fuzz; ${DIGEST_FUNCTION}`);
  const gw = await startTestGateway(db);
  const now = Math.floor(Date.now() / 1000);
  const jwt = (sub: string) => signTestJwt({ aud: 'authenticated', role: 'authenticated', sub, iat: now, exp: now + 7200 });
  const stack: SecurityStack = {
    db,
    gw,
    tokens: {
      anon: ANON_KEY, service_role: SERVICE_ROLE_KEY, member: await jwt(member), other: await jwt(other), owner: await jwt(owner),
      operations: await jwt(operations), finance: await jwt(finance), admin: await jwt(admin),
    },
    members: { member, other, owner, operations, finance, admin },
    owned: { entry, order: order.order_id, store: storeId, refund_request: 0, withdrawal: 0 },
    close: async () => { await gw.close(); await db.close(); },
  };
  // the member's refund request (申请退款) and withdrawal, the latter paid by merchant transfer and
  // waiting for the member's 确认收款 (its wx.requestMerchantTransfer package in my_withdrawals)
  const made = async (role: Role, fn: string, body: Record<string, unknown>) => {
    const r = await callAs(stack, role, fn, body);
    if (r.status !== 200) throw new Error(`security stack: ${fn} as ${role}: HTTP ${r.status} ${r.code} ${r.message}`);
    return r.body as Record<string, any>;
  };
  stack.owned.refund_request = (await made('member', 'request_refund', { p_order_id: order.order_id, p_line_nos: [1], p_reason: '安全测试' })).request_id;
  stack.owned.withdrawal = (await made('member', 'request_withdrawal', { p_asset: 'cash', p_amount_fen: 1000 })).withdrawal_id;
  const { out_bill_no: bill } = await made('finance', 'admin_approve_withdrawal_transfer', { p_withdrawal_id: stack.owned.withdrawal });
  await made('service_role', 'transfer_request', { p_out_bill_no: bill, p_app_id: 'wx_security', p_mch_id: '1900000001' });
  await made('service_role', 'record_transfer_result', { p_out_bill_no: bill, p_state: 'WAIT_USER_CONFIRM', p_package_info: 'PKG_SECURITY_TEST' });
  return stack;
}

/** Every function of the API, with its input arguments, from the catalog. */
export async function apiFunctions(pool: Pool): Promise<ApiFunction[]> {
  const { rows } = await pool.query(`
    select p.proname as name, coalesce(p.proargnames, '{}') as names, coalesce(p.proargmodes::text[], '{}') as modes,
           array(select format_type(t, null) from unnest(p.proargtypes) t) as types, p.pronargs, p.pronargdefaults
      from pg_proc p where p.pronamespace = 'public'::regnamespace order by 1`);
  return rows.map((r) => {
    // input arguments only (OUT arguments of `returns table` follow them in proargnames)
    const inputNames = (r.names as string[]).filter((_, i) => (r.modes as string[]).length === 0 || ['i', 'b'].includes(r.modes[i]));
    return {
      name: r.name,
      args: (r.types as string[]).map((type, i) => ({
        name: inputNames[i], type, hasDefault: i >= r.pronargs - r.pronargdefaults,
      })),
    };
  });
}

export interface CallResult { status: number; code: string | null; message: string | null; body: unknown }

/** POST /rest/v1/rpc/<fn> as a caller, with any JSON body (as supabase-js sends it). */
export async function callAs(stack: SecurityStack, role: Role, fn: string, body: unknown): Promise<CallResult> {
  const apikey = role === 'service_role' ? SERVICE_ROLE_KEY : ANON_KEY;
  const res = await fetch(`${stack.gw.url}/rest/v1/rpc/${fn}`, {
    method: 'POST',
    headers: { apikey, Authorization: `Bearer ${stack.tokens[role]}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = text; }
  const isError = res.status >= 400;
  return {
    status: res.status,
    // PostgREST: {code, message, hint}; a database refusal carries its stable code in message
    code: isError ? (parsed?.code === 'P0001' ? parsed?.message : parsed?.code) ?? null : null,
    message: isError ? parsed?.message ?? null : null,
    body: parsed,
  };
}

/**
 * Row count and newest writing transaction of every table of the engine and of auth: any
 * insert, update or delete that committed changes it.
 */
const DIGEST_FUNCTION = `
create function fuzz.digest() returns text language plpgsql as $$
declare
  r record;
  v text := '';
  n bigint;
  x bigint;
begin
  for r in select c.oid::regclass as t from pg_class c join pg_namespace s on s.oid = c.relnamespace
            where s.nspname in ('rebate', 'auth') and c.relkind = 'r' order by 1 loop
    execute format('select count(*), coalesce(max(xmin::text::bigint), 0) from %s', r.t) into n, x;
    v := v || r.t || ':' || n || ':' || x || ' ';
  end loop;
  return v;
end $$;`;

export async function digest(stack: SecurityStack): Promise<string> {
  return (await stack.db.admin.query(`select fuzz.digest() as d`)).rows[0].d;
}

/** A plausible value for an argument of a type (the matrix only tests who may call). */
export function plainValue(type: string): unknown {
  if (/^(bigint|integer|smallint|numeric)$/.test(type)) return 1;
  if (/\[\]$/.test(type)) return [];
  if (type === 'boolean') return false;
  if (type === 'jsonb' || type === 'json') return {};
  if (type === 'uuid') return '00000000-0000-4000-8000-000000000001';
  if (/^timestamp/.test(type)) return new Date().toISOString();
  if (type === 'date') return '2026-12-01';
  return 'x';
}

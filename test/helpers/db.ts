// Per-test-file databases cloned from the migrated template, and helpers to run SQL as
// each Supabase role exactly as PostgREST would (set local role + request.jwt.claims).
import crypto from 'node:crypto';
import { Pool, PoolClient } from 'pg';

export type Role = 'anon' | 'authenticated' | 'service_role';

export interface TestDb {
  /** superuser URL of this file's database */
  url: string;
  name: string;
  /** superuser pool (for arranging data and asserting; bypasses RLS) */
  admin: Pool;
  /** runs fn inside one transaction as `role` with the given JWT subject; rolls back unless commit */
  as<T>(role: Role, sub: string | null, fn: (c: PoolClient) => Promise<T>, opts?: { commit?: boolean }): Promise<T>;
  /** one statement as a role, committed (like one PostgREST request) */
  call<T = any>(role: Role, sub: string | null, sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.REBATE_TEST_ADMIN_URL;
  if (!url) throw new Error('REBATE_TEST_ADMIN_URL missing: run the tests through jest (global setup)');
  return url;
}

function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export function claimsFor(role: Role, sub: string | null) {
  return sub ? { role, sub, aud: 'authenticated' } : { role };
}

export async function createTestDb(): Promise<TestDb> {
  const name = `rebate_t_${process.env.JEST_WORKER_ID ?? '0'}_${crypto.randomBytes(4).toString('hex')}`;
  const root = new Pool({ connectionString: adminUrl(), max: 1 });
  await root.query(`create database "${name}" template "${process.env.REBATE_TEST_TEMPLATE}"`);
  await root.end();
  const url = withDb(adminUrl(), name);
  const admin = new Pool({ connectionString: url, max: 12 });
  admin.on('error', () => {});

  async function as<T>(role: Role, sub: string | null, fn: (c: PoolClient) => Promise<T>, opts: { commit?: boolean } = {}) {
    const c = await admin.connect();
    try {
      await c.query('begin');
      await c.query(`select set_config('role', $1, true), set_config('request.jwt.claims', $2, true)`,
        [role, JSON.stringify(claimsFor(role, sub))]);
      const result = await fn(c);
      await c.query(opts.commit ? 'commit' : 'rollback');
      return result;
    } catch (e) {
      await c.query('rollback').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  return {
    url,
    name,
    admin,
    as,
    call: (role, sub, sql, params = []) => as(role, sub, async (c) => (await c.query(sql, params)).rows, { commit: true }),
    close: async () => {
      await admin.end();
      const r = new Pool({ connectionString: adminUrl(), max: 1 });
      await r.query(`drop database if exists "${name}" with (force)`).catch(() => {});
      await r.end();
    },
  };
}

/** Creates an auth user + member directly (superuser), returning the member id. */
export async function createMember(db: TestDb, opts: { nickname?: string; isAdmin?: boolean; levelId?: number } = {}): Promise<string> {
  const openid = `o_${crypto.randomBytes(8).toString('hex')}`;
  const { rows } = await db.admin.query(`select public.upsert_member_by_openid($1) as id`, [openid]);
  const id = rows[0].id as string;
  await db.admin.query(
    `update rebate.members set nickname = coalesce($2, nickname), is_admin = $3, level_id = coalesce($4, level_id) where id = $1`,
    [id, opts.nickname ?? null, opts.isAdmin ?? false, opts.levelId ?? null]);
  return id;
}

/** Expects a promise to fail with a database error whose message (stable code) matches. */
export async function expectDbError(p: Promise<unknown>, code: string | RegExp, sqlstate?: string) {
  let err: any;
  try { await p; } catch (e) { err = e; }
  if (!err) throw new Error(`expected error ${code}, but the call succeeded`);
  if (typeof code === 'string') expect(err.message).toBe(code);
  else expect(err.message).toMatch(code);
  if (sqlstate) expect(err.code).toBe(sqlstate);
  return err;
}

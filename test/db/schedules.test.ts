// Schedules (supabase/schemas/16_schedules.sql): one list of the jobs the clock runs, and a
// status that makes a missing pg_cron schedule visible instead of silent.
import fs from 'node:fs';
import path from 'node:path';
import { parseCron } from '../../supabase/local/cron.cjs';
import { createMember, createTestDb, expectDbError, TestDb } from '../helpers/db';

const ROOT = path.resolve(__dirname, '../..');

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.close(); });

let jobCount: number;

test('the expected schedules: each a valid cron expression; an SQL job\'s command runs, an edge job calls its function', async () => {
  const { rows } = await db.admin.query(`select job_name, schedule, command, edge_function from rebate.expected_schedules() order by 1`);
  jobCount = rows.length;
  expect(rows.map((r) => r.job_name)).toEqual(expect.arrayContaining(['rebate-clear-queues', 'rebate-run-dividend', 'rebate-settle-pending', 'rebate-union-payout']));
  expect(new Set(rows.map((r) => r.job_name)).size).toBe(rows.length);
  for (const r of rows) {
    expect(() => parseCron(r.schedule)).not.toThrow();
    if (r.edge_function) {
      expect(r.command).toBe(`select rebate.invoke_edge_function('${r.edge_function}')`);
      expect(fs.existsSync(path.join(ROOT, 'supabase/functions', r.edge_function, 'index.ts'))).toBe(true);
    } else {
      await db.admin.query(r.command);   // what pg_cron and the local timer run
    }
  }
});

test('an edge-function job without pg_net or the Vault secrets fails loudly with what is missing', async () => {
  const hasNet = (await db.admin.query(`select exists (select 1 from pg_extension where extname = 'pg_net') as ok`)).rows[0].ok;
  if (!hasNet) {
    await expectDbError(db.admin.query(`select rebate.invoke_edge_function('order-expiry')`), 'schedule_unavailable');
    const { rows } = await db.admin.query(`select rebate.edge_function_setup_problem() as p`);
    expect(rows[0].p).toBe('pg_net 未启用');
  }
  await expectDbError(db.admin.query(`select rebate.invoke_edge_function('../secret')`), 'invalid_job_name');
});

test('without pg_cron every expected job is reported as not scheduled', async () => {
  const hasCron = (await db.admin.query(`select exists (select 1 from pg_extension where extname = 'pg_cron') as ok`)).rows[0].ok;
  const rows = await db.call('service_role', null, `select * from public.schedule_status() order by job_name`);
  expect(rows).toHaveLength(jobCount);
  expect(rows.every((r) => r.problem === null || r.edge_function !== null)).toBe(true);
  expect(rows.every((r) => r.cron_available === hasCron)).toBe(true);
  if (!hasCron) expect(rows.filter((r) => r.scheduled)).toEqual([]);
});

test('staff (admin, operations, finance) may read the schedule status; members, store owners and anon may not', async () => {
  const admin = await createMember(db, { isAdmin: true });
  const member = await createMember(db);
  expect(await db.call('authenticated', admin, `select * from public.schedule_status()`)).toHaveLength(jobCount);
  const ops = await createMember(db);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations')`, [ops]);
  expect(await db.call('authenticated', ops, `select * from public.schedule_status()`)).toHaveLength(jobCount);
  await expectDbError(db.call('authenticated', member, `select * from public.schedule_status()`), 'forbidden_role');
  await expect(db.call('anon', null, `select * from public.schedule_status()`)).rejects.toMatchObject({ code: '42501' });
});

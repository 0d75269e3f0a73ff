// Schedules (supabase/schemas/16_schedules.sql): one list of the jobs the clock runs, and a
// status that makes a missing pg_cron schedule visible instead of silent.
import { createMember, createTestDb, expectDbError, TestDb } from '../helpers/db';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.close(); });

test('the expected schedules: the settlement sweep, clearing, the dividend and the union payout, each a command that runs', async () => {
  const { rows } = await db.admin.query(`select job_name, schedule, command from rebate.expected_schedules() order by 1`);
  expect(rows.map((r) => r.job_name)).toEqual(['rebate-clear-queues', 'rebate-run-dividend', 'rebate-settle-pending', 'rebate-union-payout']);
  for (const r of rows) {
    expect(r.schedule).toMatch(/^[0-9*,\/ -]+$/);
    await db.admin.query(r.command);   // what pg_cron and the local timer run
  }
});

test('without pg_cron every expected job is reported as not scheduled', async () => {
  const hasCron = (await db.admin.query(`select exists (select 1 from pg_extension where extname = 'pg_cron') as ok`)).rows[0].ok;
  const rows = await db.call('service_role', null, `select * from public.schedule_status() order by job_name`);
  expect(rows).toHaveLength(4);
  expect(rows.every((r) => r.cron_available === hasCron)).toBe(true);
  if (!hasCron) expect(rows.filter((r) => r.scheduled)).toEqual([]);
});

test('staff (admin, operations, finance) may read the schedule status; members, store owners and anon may not', async () => {
  const admin = await createMember(db, { isAdmin: true });
  const member = await createMember(db);
  expect(await db.call('authenticated', admin, `select * from public.schedule_status()`)).toHaveLength(4);
  const ops = await createMember(db);
  await db.admin.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'operations')`, [ops]);
  expect(await db.call('authenticated', ops, `select * from public.schedule_status()`)).toHaveLength(4);
  await expectDbError(db.call('authenticated', member, `select * from public.schedule_status()`), 'forbidden_role');
  await expect(db.call('anon', null, `select * from public.schedule_status()`)).rejects.toMatchObject({ code: '42501' });
});

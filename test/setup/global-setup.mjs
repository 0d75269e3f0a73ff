// Starts one Postgres for the whole run (embedded, unless DATABASE_URL points elsewhere) and
// builds a template database with the bootstrap and every migration. Each test file then
// clones its own database from the template (test/helpers/db.ts), so files run in parallel.
import path from 'node:path';
import { ROOT } from '../../supabase/local/env.mjs';
import { startPostgres } from '../../supabase/local/postgres.mjs';
import fs from 'node:fs';
import os from 'node:os';
import { applyBootstrap, applyMigrations, createDatabase, generateTypes, withDatabase } from '../../supabase/local/migrate.mjs';
import pg from 'pg';

export const TEMPLATE_DB = 'rebate_test_template';

async function hasSupabaseAuth(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`select to_regprocedure('auth.uid()') is not null as ok`);
    return rows[0].ok;
  } finally { await c.end(); }
}

export default async function globalSetup() {
  // Several jest projects share this setup; the first one prepares everything.
  if (process.env.REBATE_TEST_ADMIN_URL) return;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const port = Number(process.env.REBATE_TEST_PG_PORT ?? 54329);
    const server = await startPostgres({ dataDir: path.join(ROOT, '.local/test-pg'), port, fast: true });
    globalThis.__REBATE_PG__ = server;
    adminUrl = server.url('postgres');
  }
  await createDatabase(adminUrl, TEMPLATE_DB);
  const templateUrl = withDatabase(adminUrl, TEMPLATE_DB);
  // The bootstrap is for plain Postgres only; a real Supabase database already has it.
  if (!(await hasSupabaseAuth(templateUrl))) await applyBootstrap(templateUrl);
  await applyMigrations(templateUrl);
  // For test/db/types.test.ts: what `supabase gen types` says about the migrated schema now.
  const typesFile = path.join(os.tmpdir(), `rebate-types-${process.pid}.ts`);
  fs.writeFileSync(typesFile, await generateTypes(templateUrl));
  process.env.REBATE_TEST_GENERATED_TYPES = typesFile;
  process.env.REBATE_TEST_ADMIN_URL = adminUrl;
  process.env.REBATE_TEST_TEMPLATE = TEMPLATE_DB;
}

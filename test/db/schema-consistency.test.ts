// supabase/schemas is the source of truth and supabase/migrations is generated from it
// (docs/database.md). This builds one database from the schema files and compares it with the
// template the global setup built from the migrations: every table, column, constraint, index,
// trigger, policy, grant, function (definition, comment, grants) and the reference data.
// A schema change without its migration (`npm run db:diff -- <name>`) fails here, and so does
// a migration edited by hand without the schema file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { applySchemas, diffSnapshots, schemaSnapshot } from '../../supabase/local/schemas.cjs';

const admin = process.env.REBATE_TEST_ADMIN_URL!;
const withDb = (name: string) => { const u = new URL(admin); u.pathname = `/${name}`; return u.toString(); };
const name = `rebate_schemas_${crypto.randomBytes(4).toString('hex')}`;

async function sql(url: string, text: string) {
  const c = new Client({ connectionString: url });
  await c.connect();
  try { await c.query(text); } finally { await c.end(); }
}

beforeAll(async () => {
  await sql(admin, `create database "${name}"`);
  await sql(withDb(name), fs.readFileSync(path.join(__dirname, '../../supabase/local/bootstrap.sql'), 'utf8'));
  await applySchemas(withDb(name));
}, 120000);

afterAll(async () => {
  await sql(admin, `drop database if exists "${name}" with (force)`);
});

test('the migrations build exactly what supabase/schemas describes', async () => {
  const fromMigrations = await schemaSnapshot(withDb(process.env.REBATE_TEST_TEMPLATE!));
  const fromSchemas = await schemaSnapshot(withDb(name));
  expect(fromSchemas.length).toBeGreaterThan(1000);
  const drift = diffSnapshots(fromMigrations, fromSchemas);
  if (drift.length) {
    throw new Error(`supabase/migrations and supabase/schemas disagree (- migrations only, + schemas only); `
      + `run \`npm run db:diff -- <name>\`:\n${drift.slice(0, 40).join('\n')}`);
  }
});

test('a drift in a function, a grant, a column or the reference data is found', async () => {
  const before = await schemaSnapshot(withDb(name));
  await sql(withDb(name), `
    create or replace function rebate.fen_text(p_fen bigint) returns text language sql immutable
      as $$ select p_fen::text $$;
    grant execute on function public.my_wallet() to anon;
    alter table rebate.withdrawals add column note text;
    update rebate.setting_fields set label = '改过' where name = 'enabled';`);
  const drift = diffSnapshots(before, await schemaSnapshot(withDb(name)));
  expect(drift.some((l) => l.startsWith('+ function rebate.fen_text(bigint) definition'))).toBe(true);
  expect(drift.some((l) => l.startsWith('+ function my_wallet() acl=') && l.includes('anon=X'))).toBe(true);
  expect(drift).toContain('+ column rebate.withdrawals.note text null=t default= identity=');
  expect(drift.some((l) => l.startsWith('+ data rebate.setting_fields') && l.includes('改过'))).toBe(true);
});

test('every function of schemas public and rebate is defined once in supabase/schemas', () => {
  const dir = path.join(__dirname, '../../supabase/schemas');
  const seen = new Map<string, string[]>();
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.sql'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/create\s+(?:or\s+replace\s+)?function\s+"?(public|rebate)"?\."?(\w+)"?\s*\(/gi)) {
      const key = `${m[1]}.${m[2]}`;
      seen.set(key, [...(seen.get(key) ?? []), f]);
    }
  }
  const twice = [...seen].filter(([, files]) => files.length > 1);
  expect(twice).toEqual([]);
  expect(seen.size).toBeGreaterThan(150);
});

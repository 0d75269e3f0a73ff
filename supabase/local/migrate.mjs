// Prepares a database the way a Supabase project is prepared: the local bootstrap
// (roles, auth schema, default privileges), then every migration applied by the real
// Supabase CLI, then optionally the demo data of supabase/seed.sql.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { ROOT } from './env.mjs';
import schemas from './schemas.cjs';

export const { schemaFiles, applySchemas } = schemas;

const run = promisify(execFile);

export async function runSqlFile(url, file) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(fs.readFileSync(file, 'utf8'));
  } finally {
    await client.end();
  }
}

/** Roles, auth schema and privileges a Supabase image has (local stack only). */
export async function applyBootstrap(url) {
  await runSqlFile(url, path.join(ROOT, 'supabase/local/bootstrap.sql'));
}

/** `supabase migration up --db-url … --yes` with the real CLI. */
export async function applyMigrations(url) {
  const bin = path.join(ROOT, 'node_modules/.bin/supabase');
  try {
    await run(bin, ['migration', 'up', '--db-url', url, '--yes', '--workdir', ROOT], {
      cwd: ROOT,
      env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (e) {
    throw new Error(`supabase migration up failed:\n${e.stdout ?? ''}\n${e.stderr ?? e.message}`);
  }
}

export async function applySeed(url) {
  await runSqlFile(url, path.join(ROOT, 'supabase/seed.sql'));
}

export async function createDatabase(adminUrl, name, template) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"${template ? ` template "${template}"` : ''}`);
  } finally {
    await client.end();
  }
}

export function withDatabase(url, name) {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** TypeScript types of the public API, as `supabase gen types typescript --db-url` prints them. */
export async function generateTypes(url) {
  const bin = path.join(ROOT, 'node_modules/.bin/supabase');
  const { stdout } = await run(bin, ['gen', 'types', 'typescript', '--db-url', url, '--schema', 'public'], {
    cwd: ROOT,
    env: { ...process.env, SUPABASE_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', PGSSLMODE: 'disable' },
    maxBuffer: 16 * 1024 * 1024,
  });
  // The CLI may print a connection notice before the types; keep only the TypeScript.
  return stdout.slice(Math.max(0, stdout.indexOf('export type Json')));
}

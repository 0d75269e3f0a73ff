// Settings of the local stack. Every value can be overridden from the environment,
// so the same stack and tests run against another Postgres or a real `supabase start`.
'use strict';
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const LOCAL_DIR = process.env.REBATE_LOCAL_DIR ?? path.join(ROOT, '.local');

// Supabase's well-known local-development secret and keys (the same as `supabase start`).
const JWT_SECRET = process.env.JWT_SECRET ?? 'super-secret-jwt-token-with-at-least-32-characters-long';
const ANON_KEY = process.env.SUPABASE_ANON_KEY ??
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6ImFub24iLCJleHAiOjE5ODM4MTI5OTZ9.CRXP1A7WOeoJeXxjNni43kdQwgnWNReilDMblYTn_I0';
const SERVICE_ROLE_KEY = process.env.SUPABASE_SERVICE_ROLE_KEY ??
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZS1kZW1vIiwicm9sZSI6InNlcnZpY2Vfcm9sZSIsImV4cCI6MTk4MzgxMjk5Nn0.EGIM96RAZx35lJzdJsyH-qQwv8Hdp7fsn3W0YpN81IU';

const PG_PORT = Number(process.env.REBATE_PG_PORT ?? 54322);
const API_PORT = Number(process.env.REBATE_API_PORT ?? 54321);
const FUNCTIONS_PORT = Number(process.env.REBATE_FUNCTIONS_PORT ?? 54325);
const WECHAT_FAKE_PORT = Number(process.env.REBATE_WECHAT_FAKE_PORT ?? 54326);
const H5_PORT = Number(process.env.REBATE_H5_PORT ?? 10086);

const PG_SUPERUSER = 'postgres';
const PG_PASSWORD = 'postgres';
const AUTHENTICATOR_PASSWORD = 'authenticator-local-password';

/** The database URL of the embedded server (superuser), unless DATABASE_URL points elsewhere. */
function databaseUrl(dbName = 'postgres') {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  return `postgresql://${PG_SUPERUSER}:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/${dbName}`;
}

/** The same database, as the `authenticator` login role the gateway uses (like PostgREST). */
function authenticatorUrl(adminUrl) {
  const u = new URL(adminUrl);
  u.username = 'authenticator';
  u.password = process.env.AUTHENTICATOR_PASSWORD ?? AUTHENTICATOR_PASSWORD;
  return u.toString();
}

module.exports = { LOCAL_DIR, JWT_SECRET, ANON_KEY, SERVICE_ROLE_KEY, PG_PORT, API_PORT, FUNCTIONS_PORT, WECHAT_FAKE_PORT, H5_PORT, PG_SUPERUSER, PG_PASSWORD, AUTHENTICATOR_PASSWORD, databaseUrl, authenticatorUrl, ROOT };

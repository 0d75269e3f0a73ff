// supabase/functions/_shared/jwt.ts in real Deno: verifyJwt is as strict as the gateway's
// (strict base64url signature of exactly 32 bytes, exp required), and signJwt's tokens pass.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(process.cwd());
const DENO = path.join(ROOT, 'node_modules', '.bin', 'deno');
const CONFIG = path.join(ROOT, 'supabase', 'functions', 'deno.json');
const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';

/** Runs verifyJwt in Deno on each token; returns 'ok' or the error message for each. */
function verifyInDeno(cases: Record<string, string>): Record<string, string> {
  const script = path.join(os.tmpdir(), `rebate-jwt-${process.pid}.ts`);
  const jwt = pathToFileURL(path.join(ROOT, 'supabase/functions/_shared/jwt.ts')).href;
  fs.writeFileSync(script, `
    import { verifyJwt } from '${jwt}';
    const cases = ${JSON.stringify(cases)};
    const out: Record<string, string> = {};
    for (const [name, token] of Object.entries(cases)) {
      try { await verifyJwt(token, ${JSON.stringify(SECRET)}); out[name] = 'ok'; }
      catch (e) { out[name] = (e as Error).message; }
    }
    console.log(JSON.stringify(out));
  `);
  try {
    const stdout = execFileSync(DENO, ['run', '--no-prompt', '--config', CONFIG, script], {
      cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, encoding: 'utf8',
    });
    return JSON.parse(stdout.trim().split('\n').pop()!);
  } finally {
    fs.rmSync(script, { force: true });
  }
}

async function sign(claims: Record<string, unknown>): Promise<string> {
  const { createHmac } = await import('node:crypto');
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${enc({ alg: 'HS256', typ: 'JWT' })}.${enc(claims)}`;
  return `${head}.${createHmac('sha256', SECRET).update(head).digest('base64url')}`;
}

test('verifyJwt refuses non-canonical signatures and tokens without exp', async () => {
  const now = Math.floor(Date.now() / 1000);
  let good = '';
  for (let i = 0; !/[-_]/.test(good.split('.')[2] ?? ''); i += 1) good = await sign({ role: 'authenticated', sub: 'x', exp: now + 600, n: i });
  const [h, p, sig] = good.split('.');
  const sameBytes = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')
    .map((c) => sig.slice(0, -1) + c)
    .find((s) => s !== sig && Buffer.from(s, 'base64url').equals(Buffer.from(sig, 'base64url')))!;
  const result = verifyInDeno({
    good,
    padded: `${h}.${p}.${sig}=`,
    plusSlash: `${h}.${p}.${sig.replace(/-/g, '+').replace(/_/g, '/')}`,
    unusedBits: `${h}.${p}.${sameBytes}`,
    garbage: `${h}.${p}.${sig}!!`,
    noExp: await sign({ role: 'authenticated', sub: 'x' }),
    expired: await sign({ role: 'authenticated', sub: 'x', exp: now - 1 }),
  });
  expect(result).toEqual({
    good: 'ok',
    padded: 'bad signature',
    plusSlash: 'bad signature',
    unusedBits: 'bad signature',
    garbage: 'bad signature',
    noExp: 'token has no exp',
    expired: 'token expired',
  });
});

// The fuzz suite: every function of the API (read from the catalog, so a new one is fuzzed at
// once) called through the gateway as anon, a member, an administrator and the service role
// with generated arguments — wrong types, nulls, missing and extra keys, huge, negative and
// fractional amounts, long and unicode strings, deep nesting. Every answer must be:
//   - never a 5xx;
//   - when refused, a code listed in docs/errors.md (the one error-code table);
//   - when refused, nothing written (a digest of every table is the same before and after);
// and reconcile() is clean at the end. Seeded (fast-check) and bounded in `npm test`;
// FUZZ_RUNS=20000 FUZZ_SEED=… for a longer run. A failure prints the call to replay.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { ACCESS } from '../security/access';
import { apiFunctions, ApiFunction, callAs, digest, Role, SecurityStack, startSecurityStack } from '../helpers/security';

const RUNS = Number(process.env.FUZZ_RUNS ?? 600);
const SEED = Number(process.env.FUZZ_SEED ?? 20261203);

let stack: SecurityStack;
let functions: ApiFunction[] = [];

/** Every code of docs/errors.md's tables (the first column's `code`s). */
function documentedCodes(): Set<string> {
  const text = fs.readFileSync(path.join(__dirname, '../../docs/errors.md'), 'utf8');
  const codes = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const first = line.split('|')[1];
    for (const m of first.matchAll(/`([^`]+)`/g)) codes.add(m[1]);
  }
  return codes;
}
const DOCUMENTED = documentedCodes();
// docs/errors.md: "`22P02` and other data errors" — the SQLSTATE class of bad data
const isDocumented = (code: string | null) => code !== null && (DOCUMENTED.has(code) || /^22[0-9A-Z]{3}$/.test(code));

beforeAll(async () => {
  stack = await startSecurityStack();
  functions = (await apiFunctions(stack.db.admin)).filter((f) => ACCESS[f.name]);
}, 120000);
afterAll(async () => { await stack.close(); });

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string({ maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 40 }), fc.constant({}), fc.constant([]), fc.constant('长'.repeat(3000)),
  fc.constant(nested(600)), fc.jsonValue({ maxDepth: 3 }),
);

const amount = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -3, max: 60 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, 100, 10000, 2 ** 31, 2 ** 53, 1e20, 1e400, 1.5, -0.5, '12', '1e400', 'NaN') },
  { weight: 1, arbitrary: anything },
);
const words = ['waiting', 'completed', 'pending', 'paid', 'points', 'love', 'cash', 'commission', 'mall', 'store', 'cashier',
  'product', 'scan', 'share', 'fixed', 'interval', 'off', 'on', 'member', 'merchant', 'DEMO0001', 'approved', 'rejected'];
const text = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...words) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: anything },
);
const orderBody = fc.record({
  channel: fc.constantFrom('mall', 'store', 'cashier', 'x', null),
  lines: fc.oneof(fc.array(fc.record({ product_id: amount, quantity: amount }), { maxLength: 4 }), anything),
  store_id: amount, amount_fen: amount, points_fen: amount, love_fen: amount,
}, { requiredKeys: [] });
const json = fc.oneof({ weight: 3, arbitrary: orderBody }, { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, { weight: 1, arbitrary: anything });
const time = fc.oneof(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom('infinity', '-infinity', '2026-13-45', 'epoch', 'now', '0001-01-01 BC'),
  anything,
);

function valueFor(type: string): fc.Arbitrary<unknown> {
  if (/\[\]$/.test(type)) return fc.oneof(fc.array(fc.oneof(amount, text), { maxLength: 6 }), anything);
  if (/^(bigint|integer|smallint|numeric)$/.test(type)) return amount;
  if (type === 'boolean') return fc.oneof(fc.boolean(), anything);
  if (type === 'jsonb' || type === 'json') return json;
  if (/^timestamp/.test(type)) return time;
  if (type === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(...Object.values(stack.members)), anything);
  return text;
}

/** A call: a function, a caller, and arguments (each present or missing, sometimes an extra one). */
function callArbitrary(only?: ApiFunction): fc.Arbitrary<{ fn: string; role: Role; body: Record<string, unknown> }> {
  return (only ? fc.constant(only) : fc.constantFrom(...functions)).chain((fn) => fc.record({
    fn: fc.constant(fn.name),
    role: fc.constantFrom<Role>('anon', 'member', 'owner', 'operations', 'finance', 'admin', 'service_role'),
    body: fc.tuple(
      ...fn.args.map((a) => fc.tuple(fc.constant(a.name), fc.boolean().chain((drop) => (drop ? fc.constant(undefined) : valueFor(a.type))))),
      fc.option(fc.tuple(fc.constantFrom('p_extra', 'p_id', 'id'), anything), { freq: 8 }),
    ).map((pairs) => {
      const body: Record<string, unknown> = {};
      for (const p of pairs) if (p && p[1] !== undefined) body[p[0] as string] = p[1];
      return body;
    }),
  }));
}

/** One call checked: never a 5xx; refused with a documented code and nothing written. */
async function checkCall({ fn, role, body }: { fn: string; role: Role; body: Record<string, unknown> }) {
  const before = await digest(stack);
  const r = await callAs(stack, role, fn, body);
  const replay = `${fn} as ${role} with ${JSON.stringify(body).slice(0, 300)}`;
  if (r.status >= 500) throw new Error(`HTTP ${r.status} ${r.code} ${r.message}: ${replay}`);
  if (r.status >= 400) {
    if (!isDocumented(r.code)) throw new Error(`undocumented code ${r.code} (${r.message}), HTTP ${r.status}: ${replay}`);
    if ((await digest(stack)) !== before) throw new Error(`refused with ${r.code} but wrote something: ${replay}`);
  }
  return r.status < 400;
}

// The random budget reaches most functions, not surely all: every function of the access table
// (the money flows' service functions included: refunds, late payments, expiry, transfers,
// statements, the union payout) also gets generated calls of its own, as its callers and as a
// caller it refuses, with the same checks.
test('every function of the access table: generated calls as its callers and as others, the same checks', async () => {
  const names = functions.map((f) => f.name);
  for (const name of ['record_trade_closed', 'trades_to_close', 'accept_payment', 'record_wechat_refund', 'console_retry_refund',
                      'record_transfer_result', 'admin_approve_withdrawal_transfer', 'record_statement', 'run_union_payout']) {
    expect(names).toContain(name);
  }
  let i = 0;
  for (const fn of functions) {
    const samples = fc.sample(callArbitrary(fn), { numRuns: 3, seed: SEED + i++ });
    const own = ACCESS[fn.name].callers.includes('service_role') ? 'service_role' : ACCESS[fn.name].callers.includes('member') ? 'member' : 'admin';
    for (const [k, call] of samples.entries()) await checkCall({ ...call, role: k === 0 ? own : call.role });
  }
  expect((await stack.db.admin.query(`select * from public.reconcile()`)).rows).toEqual([]);
}, 600000);

test(`${RUNS} fuzzed calls: no 5xx, only documented codes, a refused call writes nothing`, async () => {
  expect(functions.length).toBeGreaterThan(70);
  const seen = { refused: 0, answered: 0, functions: new Set<string>() };
  await fc.assert(fc.asyncProperty(callArbitrary(), async ({ fn, role, body }) => {
    const before = await digest(stack);
    const r = await callAs(stack, role, fn, body);
    seen.functions.add(fn);
    const replay = `${fn} as ${role} with ${JSON.stringify(body).slice(0, 300)}`;
    if (r.status >= 500) throw new Error(`HTTP ${r.status} ${r.code} ${r.message}: ${replay}`);
    if (r.status >= 400) {
      seen.refused += 1;
      if (!isDocumented(r.code)) throw new Error(`undocumented code ${r.code} (${r.message}), HTTP ${r.status}: ${replay}`);
      if ((await digest(stack)) !== before) throw new Error(`refused with ${r.code} but wrote something: ${replay}`);
    } else {
      seen.answered += 1;
    }
  }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  // the budget reached most of the API, and some calls got through
  expect(seen.functions.size).toBeGreaterThan(Math.min(60, RUNS / 10));
  expect(seen.refused).toBeGreaterThan(0);
  const findings = (await stack.db.admin.query(`select * from public.reconcile()`)).rows;
  expect(findings).toEqual([]);
}, 600000);

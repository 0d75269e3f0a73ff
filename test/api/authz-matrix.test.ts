// The authorization matrix: every function of the API (read from the catalog, so a new one is
// covered at once) called through the gateway by anon, a member, an administrator and the
// service role, 运营, 财务 and a 店主. Who may call what is one table, test/security/access.ts; a function missing
// from it fails here. A caller that may not is refused with a permission code and nothing is
// written; another member's objects are refused as if they did not exist.
import { ACCESS, Access, LIST_ID, mayCall, PERMISSION_REFUSALS, TestRole } from '../security/access';
import { apiFunctions, ApiFunction, callAs, digest, plainValue, SecurityStack, startSecurityStack } from '../helpers/security';

let stack: SecurityStack;
let functions: ApiFunction[] = [];

beforeAll(async () => {
  stack = await startSecurityStack();
  functions = await apiFunctions(stack.db.admin);
}, 120000);
afterAll(async () => { await stack.close(); });

/** Valid values of arguments that select among a few choices, so that only ownership decides. */
const VALID: Record<string, unknown> = { p_target: 'points', p_around: 1, p_limit: 10 };

/** Arguments of the right types; the ones naming an object name the member's own. */
function bodyFor(fn: ApiFunction, access: Access | undefined, valid = false): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const a of fn.args) {
    const kind = access?.owns?.[a.name];
    body[a.name] = kind ? stack.owned[kind] : valid && a.name in VALID ? VALID[a.name] : plainValue(a.type);
  }
  return body;
}

test('every function of the API says who may call it (test/security/access.ts)', () => {
  expect(functions.length).toBeGreaterThan(70);
  const unlisted = functions.map((f) => f.name).filter((n) => !ACCESS[n]);
  const gone = Object.keys(ACCESS).filter((n) => !functions.some((f) => f.name === n));
  expect({ unlisted, gone }).toEqual({ unlisted: [], gone: [] });
});

test('each caller is let in exactly where the table says, and a refused call writes nothing', async () => {
  const wrong: string[] = [];
  for (const fn of functions) {
    const access = ACCESS[fn.name];
    if (!access) continue;
    for (const role of ['anon', 'member', 'owner', 'operations', 'finance', 'admin', 'service_role'] as TestRole[]) {
      const before = await digest(stack);
      const r = await callAs(stack, role, fn.name, bodyFor(fn, access));
      const refused = r.status >= 400 && PERMISSION_REFUSALS.has(r.code ?? '');
      if (r.status >= 500) wrong.push(`${fn.name} as ${role}: HTTP ${r.status} ${r.code}`);
      if (mayCall(role, access.callers) && refused) wrong.push(`${fn.name} as ${role}: refused (${r.code}) but the table allows it`);
      if (!mayCall(role, access.callers)) {
        if (!refused) wrong.push(`${fn.name} as ${role}: expected a permission refusal, got HTTP ${r.status} ${r.code ?? ''}`);
        else if ((await digest(stack)) !== before) wrong.push(`${fn.name} as ${role}: refused but wrote something`);
      }
    }
  }
  expect(wrong).toEqual([]);
}, 120000);

test("another member's entries, orders, store and refund requests are refused as if they did not exist, nothing written", async () => {
  const owning = functions.filter((f) => ACCESS[f.name]?.owns);
  expect(owning.map((f) => f.name).sort()).toEqual(expect.arrayContaining(
    ['my_order', 'queue_process', 'store_orders', 'refund_quote', 'request_refund', 'my_refund_requests', 'cancel_refund_request']));
  const wrong: string[] = [];
  for (const fn of owning) {
    const before = await digest(stack);
    const r = await callAs(stack, 'other', fn.name, bodyFor(fn, ACCESS[fn.name], true));
    if (!(r.status >= 400 && /_not_found$/.test(r.code ?? ''))) wrong.push(`${fn.name}: HTTP ${r.status} ${r.code ?? JSON.stringify(r.body).slice(0, 80)}`);
    if ((await digest(stack)) !== before) wrong.push(`${fn.name}: wrote something for another member`);
  }
  expect(wrong).toEqual([]);
}, 60000);

test("a member's lists (refund requests, withdrawals with their transfer package) never show another member's", async () => {
  const listing = functions.filter((f) => ACCESS[f.name]?.lists);
  expect(listing.map((f) => f.name).sort()).toEqual(expect.arrayContaining(['my_refund_requests', 'my_withdrawals']));
  const wrong: string[] = [];
  for (const fn of listing) {
    const access = ACCESS[fn.name];
    const kind = access.lists!;
    const id = stack.owned[kind];
    // the owner sees it (through the owned arguments too); another member, listing everything of theirs, does not
    const mine = await callAs(stack, 'member', fn.name, Object.fromEntries(
      fn.args.filter((a) => access.owns?.[a.name] || !a.hasDefault).map((a) => [a.name, access.owns?.[a.name] ? stack.owned[access.owns[a.name]] : VALID[a.name] ?? plainValue(a.type)])));
    const theirs = await callAs(stack, 'other', fn.name, Object.fromEntries(
      fn.args.filter((a) => !a.hasDefault).map((a) => [a.name, VALID[a.name] ?? plainValue(a.type)])));
    const ids = (r: typeof mine) => (Array.isArray(r.body) ? r.body : [r.body]).map((row: any) => row?.[LIST_ID[kind]]);
    if (mine.status !== 200 || !ids(mine).includes(id)) wrong.push(`${fn.name}: the member does not see their own ${kind} ${id} (HTTP ${mine.status})`);
    if (theirs.status !== 200) wrong.push(`${fn.name} as another member: HTTP ${theirs.status} ${theirs.code}`);
    else if (ids(theirs).includes(id) || JSON.stringify(theirs.body).includes('PKG_SECURITY_TEST')) {
      wrong.push(`${fn.name}: another member sees ${kind} ${id}`);
    }
  }
  const own = await callAs(stack, 'member', 'my_withdrawals', {});
  expect((own.body as any[]).find((w) => w.withdrawal_id === stack.owned.withdrawal))
    .toMatchObject({ status_label: '待确认收款', package_info: 'PKG_SECURITY_TEST' });
  expect(wrong).toEqual([]);
}, 60000);

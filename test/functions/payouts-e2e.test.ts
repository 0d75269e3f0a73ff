// Withdrawal payouts by WeChat Pay merchant transfer, end to end: a member's withdrawal → 财务
// approves through withdrawal-transfer (real Deno) → the fake WeChat Pay's transfer bill → the
// member confirms → MCHTRANSFER.BILL.FINISHED → transfer-notify → the withdrawal is paid; a
// failed or cancelled one returns its amount once. Duplicated, reordered, tampered, stale and
// wrong notifications, WeChat errors, time-outs and a lost answer change nothing twice.
// reconcile() is clean after every test.
import crypto from 'node:crypto';
import { createClient } from '@supabase/supabase-js';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e0000payouts';
const SECRET = 'e2e-wechat-secret';
const BILLS = '/v3/fund-app/mch-transfer/transfer-bills';

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;
let notifyUrl: string;
let finance: string; // tokens
let member: string;
let memberId: string;
const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  fake = await startWechatFake({ appid: APPID, secret: SECRET, pay: { notifyRetryDelaysMs: [100, 100] } });
  const port = await freePort();
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  notifyUrl = `${gw.url}/functions/v1/transfer-notify`;
  fns = await startFunctions({
    port, quiet: true,
    env: {
      SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET, WECHAT_API_BASE: fake.url, WECHAT_APPID: APPID,
      WECHAT_SECRET: SECRET, REBATE_LOCAL_DEV: undefined, WECHATPAY_TIMEOUT_MS: '1500',
      ...fake.pay.env(`${gw.url}/functions/v1/pay-notify`), // transfers derive .../transfer-notify from it
    },
  });
  finance = await login('oFinance_payout_01');
  member = await login('oMember_payout_01');
  [{ id: memberId }] = await db.query(`select id from rebate.members where openid = 'oMember_payout_01'`);
  const [{ id: financeId }] = await db.query(`select id from rebate.members where openid = 'oFinance_payout_01'`);
  await db.query(`insert into rebate.staff_roles (member_id, role) values ($1, 'finance')`, [financeId]);
  await db.query(`update rebate.settings set withdraw_min_fen = 100, withdraw_fee_bps = 100, withdraw_daily_limit = 100 where id = 1`);
  await db.query(`select rebate.post_ledger($1, 'cash', 100000000, 'admin_adjustment')`, [memberId]);
}, 90_000);

afterEach(async () => {
  fake.payouts.options.holdNotifications = false;
  fake.payouts.held.length = 0;
  expect(await db.query(`select * from public.reconcile()`)).toEqual([]);
});

afterAll(async () => {
  await fns?.stop();
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

// ------------------------------------------------------------------ helpers
async function login(openid: string): Promise<string> {
  const res = await fetch(`${gw.url}/functions/v1/wechat-login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${ANON_KEY}` },
    body: JSON.stringify({ code: fake.issueCode(openid) }),
  });
  expect(res.status).toBe(200);
  return (await res.json()).access_token;
}

const client = (token: string) => createClient(gw.url, ANON_KEY, {
  accessToken: async () => token,
  realtime: { transport: class { constructor() { throw new Error('no realtime'); } } as any },
});

async function call(name: string, token: string, body: unknown) {
  const res = await fetch(`${gw.url}/functions/v1/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) as any };
}

async function withdraw(amountFen: number): Promise<number> {
  const { data, error } = await client(member).rpc('request_withdrawal', { p_asset: 'cash', p_amount_fen: amountFen });
  expect(error).toBeNull();
  return (data as any).withdrawal_id;
}

async function mine(id: number): Promise<Record<string, any>> {
  const { data, error } = await client(member).rpc('my_withdrawals', { p_limit: 100 });
  expect(error).toBeNull();
  return (data as any[]).find((w) => w.withdrawal_id === id);
}

const cash = async () => Number((await db.query(`select cash_fen from rebate.wallets where member_id = $1`, [memberId]))[0].cash_fen);
const transfer = async (id: number) => (await db.query(`select * from rebate.withdrawal_transfers where withdrawal_id = $1`, [id]))[0];
const approve = (id: number, extra: Record<string, unknown> = {}) => call('withdrawal-transfer', finance, { withdrawal_id: id, ...extra });
const runJob = () => call('payout-transfers', SERVICE_ROLE_KEY, {});
const dueNow = (no: string) => db.query(`update rebate.withdrawal_transfers set next_attempt_at = now() where out_bill_no = $1`, [no]);
const ledgerReturns = async (id: number) =>
  Number((await db.query(`select count(*) from rebate.ledger g join rebate.withdrawals w on w.return_ledger_id = g.id where w.id = $1`, [id]))[0].count);

/** What a finished notification of this bill would carry (for forgeries). */
function billResource(no: string, state: string, amount: number, extra: Record<string, unknown> = {}) {
  const b = fake.payouts.bill(no)!;
  return { mch_id: fake.pay.mchid, out_bill_no: no, transfer_bill_no: b.transfer_bill_no, state, transfer_amount: amount,
    openid: 'oMember_payout_01', create_time: b.create_time, update_time: b.update_time, ...extra };
}
const sendBillNotification = (resource: Record<string, unknown>, sign?: Record<string, unknown>) =>
  fake.sendNotification(notifyUrl, { eventType: 'MCHTRANSFER.BILL.FINISHED', summary: '商家转账单据终态通知',
    originalType: 'mch_payment', associatedData: 'mch_payment', resource, sign: sign as any });

// ------------------------------------------------------------------ tests
test('success: approval sends the transfer (scene, report infos, perception), the member confirms, the notification pays it once', async () => {
  const before = await cash();
  const id = await withdraw(10000); // fee 1% → net 9900
  expect(await cash()).toBe(before - 10000);
  const r = await approve(id);
  expect(r.status).toBe(200);
  expect(r.body.transfer).toMatchObject({ state: 'WAIT_USER_CONFIRM' });
  const no = r.body.withdrawal.out_bill_no;
  expect(no).toMatch(/^WD\d{8}\d{12}$/);
  const bill = fake.payouts.bill(no)!;
  expect(bill).toMatchObject({ appid: APPID, transfer_amount: 9900, transfer_scene_id: '1000', user_recv_perception: '现金奖励',
    openid: 'oMember_payout_01', transfer_remark: '排队返利提现', user_name: null, state: 'WAIT_USER_CONFIRM' });
  expect(bill.infos).toEqual([{ info_type: '活动名称', info_content: '排队返利' }, { info_type: '奖励说明', info_content: '排队返利返现提现' }]);

  // the mini-program gets what wx.requestMerchantTransfer takes
  const waiting = await mine(id);
  expect(waiting).toMatchObject({ status: 'paying', status_label: '待确认收款', transfer_state: 'WAIT_USER_CONFIRM',
    package_info: bill.package_info, mch_id: fake.pay.mchid, app_id: APPID });
  // approving again is a repeat, not a second transfer
  const again = await approve(id);
  expect(again.status).toBe(200);
  expect(again.body.withdrawal).toMatchObject({ out_bill_no: no, replayed: true });
  expect(fake.payouts.bill(no)!.calls).toBe(1);

  const n = (await fake.payouts.confirm(no, { packageInfo: waiting.package_info }))!;
  expect(n.attempts[0].status).toBe(204);
  expect(await mine(id)).toMatchObject({ status: 'approved', status_label: '已打款', transfer_state: 'SUCCESS', package_info: null });
  // duplicated notification: acknowledged, nothing changes
  const snapshot = JSON.stringify(await db.query(`select * from rebate.ledger order by id`));
  expect((await fake.resend(n)).status).toBe(204);
  expect(JSON.stringify(await db.query(`select * from rebate.ledger order by id`))).toBe(snapshot);
  expect(await cash()).toBe(before - 10000);
  const msgs = await db.query(`select kind from rebate.messages where member_id = $1 and kind like 'withdrawal_%' order by id`, [memberId]);
  expect(msgs.map((m: any) => m.kind).slice(-3)).toEqual(['withdrawal_approved', 'withdrawal_confirm', 'withdrawal_paid']);
  const audit = await db.query(`select action from rebate.audit_log where object_type = 'withdrawal' and object_id = $1`, [String(id)]);
  expect(audit.map((a: any) => a.action)).toEqual(['withdrawal.approve_transfer']);
});

test('≥ ¥2,000 needs the real name: sent encrypted with the WeChat Pay public key, forgotten once final', async () => {
  const id = await withdraw(202100); // net 200079
  const refused = await approve(id);
  expect(refused).toMatchObject({ status: 400, body: { code: 'real_name_required' } });
  const r = await approve(id, { real_name: '张三' });
  expect(r.body.transfer.state).toBe('WAIT_USER_CONFIRM');
  const no = r.body.withdrawal.out_bill_no;
  expect(fake.payouts.bill(no)!.user_name).toBe('张三');
  expect((await transfer(id)).real_name).toBe('张三');
  await fake.payouts.confirm(no);
  expect((await transfer(id)).real_name).toBeNull();
  expect((await mine(id)).status).toBe('approved');
});

test('FAIL returns the whole amount once, with a ledger row and the reason; a contradicting SUCCESS is refused', async () => {
  const before = await cash();
  const id = await withdraw(5000);
  const no = (await approve(id)).body.withdrawal.out_bill_no;
  const n = (await fake.payouts.fail(no, 'ACCOUNT_FROZEN'))!;
  expect(n.attempts[0].status).toBe(204);
  expect(await mine(id)).toMatchObject({ status: 'returned', status_label: '已退回', reject_reason: '微信账户已冻结，金额已退回余额' });
  expect(await cash()).toBe(before);
  expect(await ledgerReturns(id)).toBe(1);
  expect((await fake.resend(n)).status).toBe(204); // the same FAIL again: a repeat
  const forged = await sendBillNotification(billResource(no, 'SUCCESS', 4950)); // validly signed, contradicts a final state
  expect(forged.status).toBe(400);
  expect(await cash()).toBe(before);
  expect((await db.query(`select state from rebate.withdrawal_transfers where out_bill_no = $1`, [no]))[0].state).toBe('FAIL');
});

test('tampered, stale, unsigned, wrong-amount and unknown notifications change nothing', async () => {
  const id = await withdraw(3000);
  const no = (await approve(id)).body.withdrawal.out_bill_no;
  const good = billResource(no, 'SUCCESS', 2970);
  expect((await sendBillNotification(good, { key: otherKey.privateKey })).status).toBe(401);            // not WeChat's key
  expect((await sendBillNotification(good, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401); // stale
  expect((await sendBillNotification(good, { serial: 'PUB_KEY_ID_OTHER' })).status).toBe(401);
  const sent = await sendBillNotification(good);
  const tampered = JSON.parse(sent.sent);
  tampered.resource.ciphertext = Buffer.from('x'.repeat(40)).toString('base64');
  // re-signed but not decryptable: our key must be wrong, WeChat retries
  expect((await fake.sendNotification(notifyUrl, { body: JSON.stringify(tampered) })).status).toBe(500);
  expect((await sendBillNotification(billResource(no, 'SUCCESS', 1))).status).toBe(400);               // amount not ours
  expect((await sendBillNotification({ ...good, out_bill_no: 'WD0000UNKNOWN' })).status).toBe(400);
  expect((await sendBillNotification({ ...good, mch_id: '1999999999' })).status).toBe(400);
  expect((await sendBillNotification({ ...good, state: 'WAIT_USER_CONFIRM' })).status).toBe(400);      // not a final state
  // the real one (sent above) went through once
  expect(await mine(id)).toMatchObject({ status: 'approved' });
  fake.payouts.setState(no, 'SUCCESS');
});

test('WeChat errors (SYSTEM_ERROR, FREQUENCY_LIMITED, NOT_ENOUGH) keep the transfer for the job, which retries with the same out_bill_no', async () => {
  const id = await withdraw(2000);
  fake.pay.failNext(`POST ${BILLS}`, 500, 'SYSTEM_ERROR', '系统错误');
  const r = await approve(id);
  expect(r.status).toBe(200);
  expect(r.body.transfer).toMatchObject({ state: 'created' });
  expect(r.body.transfer.error).toMatch(/SYSTEM_ERROR/);
  const no = r.body.withdrawal.out_bill_no;
  expect(await mine(id)).toMatchObject({ status: 'paying', status_label: '打款中' });
  expect(await transfer(id)).toMatchObject({ state: 'created', attempts: 1 });
  const list = (await client(finance).rpc('admin_list_withdrawals', { p_status: 'paying' })).data as any[];
  expect(list.find((w) => w.withdrawal_id === id).transfer).toMatchObject({ state: 'created', attempts: 1 });

  fake.pay.failNext(`POST ${BILLS}`, 429, 'FREQUENCY_LIMITED', '频率超限');
  await dueNow(no);
  expect((await runJob()).body).toMatchObject({ sent: 1, errors: 1 });
  expect(await transfer(id)).toMatchObject({ state: 'created', attempts: 2 });
  const retryAt = new Date((await transfer(id)).next_attempt_at).getTime();
  expect(retryAt).toBeGreaterThan(Date.now() + 30_000); // backing off

  fake.payouts.options.operatingBalanceFen = 100;
  await dueNow(no);
  await runJob();
  expect((await transfer(id)).last_error).toMatch(/商户运营账户余额不足/);
  fake.payouts.options.operatingBalanceFen = 1e12;
  await dueNow(no);
  expect((await runJob()).body).toMatchObject({ sent: 1, errors: 0 });
  expect(await transfer(id)).toMatchObject({ state: 'WAIT_USER_CONFIRM', last_error: null });
  expect(fake.payouts.bills().filter((b) => b === no)).toHaveLength(1);
  await fake.payouts.confirm(no);
  expect((await mine(id)).status).toBe('approved');
});

test('a lost answer (time-out after WeChat created the bill): the retry with the same out_bill_no gets the same bill; a held notification arriving later is a repeat', async () => {
  const id = await withdraw(2500);
  fake.payouts.delayNext(`POST ${BILLS}`, 3000); // WeChat creates the bill, the answer comes after our 1.5 s time-out
  fake.payouts.options.holdNotifications = true;
  const r = await approve(id);
  expect(r.body.transfer).toMatchObject({ state: 'created' });
  expect(r.body.transfer.error).toMatch(/微信无应答/);
  const no = r.body.withdrawal.out_bill_no;
  const billNo = fake.payouts.bill(no)!.transfer_bill_no;
  await fake.payouts.confirm(no); // the member confirms; the notification is held back
  expect(fake.payouts.held).toHaveLength(1);
  await dueNow(no);
  expect((await runJob()).body).toMatchObject({ sent: 1, final: 1 });
  expect(fake.payouts.bill(no)!.calls).toBe(2);
  expect(await transfer(id)).toMatchObject({ state: 'SUCCESS', transfer_bill_no: billNo });
  const [n] = await fake.payouts.release();
  expect(n.attempts[0].status).toBe(204);
  expect((await fake.resend(n)).status).toBe(204);
  expect(await mine(id)).toMatchObject({ status: 'approved' });
  expect(await ledgerReturns(id)).toBe(0);
});

test('reordered: FAIL and a forged earlier state arrive in any order; a stuck transfer is found by the query; a refused request fails only when WeChat has no bill', async () => {
  const before = await cash();
  // 1. the notification is lost: the job's query finds the bill FAIL (the 24 h timeout) and returns the money
  const id1 = await withdraw(1500);
  const no1 = (await approve(id1)).body.withdrawal.out_bill_no;
  fake.payouts.setState(no1, 'FAIL', 'OVERDUE_CLOSE');
  await dueNow(no1);
  expect((await runJob()).body).toMatchObject({ queried: 1, final: 1 });
  expect(await mine(id1)).toMatchObject({ status: 'returned', reject_reason: '超时未确认收款，金额已退回余额' });
  // ... and the notification arriving afterwards is a repeat
  expect((await fake.payouts.notify(no1))!.attempts[0].status).toBe(204);
  expect(await ledgerReturns(id1)).toBe(1);

  // 2. a refused request (PARAM_ERROR) with no bill at WeChat: FAIL here, money back
  const id2 = await withdraw(1200);
  fake.pay.failNext(`POST ${BILLS}`, 400, 'PARAM_ERROR', '参数错误');
  const r2 = await approve(id2);
  expect(r2.body.transfer.state).toBe('FAIL');
  expect((await mine(id2)).reject_reason).toBe('微信拒绝了转账请求（PARAM_ERROR），金额已退回余额');

  // 3. refused, but WeChat does have the bill (created by a call whose answer was lost): the bill decides
  const id3 = await withdraw(1300);
  fake.payouts.delayNext(`POST ${BILLS}`, 3000);
  const no3 = (await approve(id3)).body.withdrawal.out_bill_no;
  fake.pay.failNext(`POST ${BILLS}`, 400, 'INVALID_REQUEST', '请求参数不符合要求');
  await dueNow(no3);
  await runJob();
  expect(await transfer(id3)).toMatchObject({ state: 'WAIT_USER_CONFIRM' });
  await fake.payouts.confirm(no3);
  expect((await mine(id3)).status).toBe('approved');
  expect(await cash()).toBe(before - 1300);
});

test('waiting for the member too long: the job cancels (revoke API), the money returns once', async () => {
  const before = await cash();
  const id = await withdraw(1800);
  const no = (await approve(id)).body.withdrawal.out_bill_no;
  await db.query(`update rebate.withdrawal_transfers set created_at = now() - interval '21 hours', next_attempt_at = now() where out_bill_no = $1`, [no]);
  fake.payouts.options.holdNotifications = true;
  expect((await runJob()).body).toMatchObject({ cancelled: 1, final: 1 });
  expect(await mine(id)).toMatchObject({ status: 'returned', status_label: '已退回', reject_reason: '超时未确认收款，转账已撤销，金额已退回余额' });
  expect(fake.payouts.bill(no)!.state).toBe('CANCELLED');
  const [n] = await fake.payouts.release();
  expect(n.attempts[0].status).toBe(204);
  expect(await cash()).toBe(before);
  expect(await ledgerReturns(id)).toBe(1);
  expect(() => fake.payouts.confirm(no)).toThrow(/CANCELLED/); // too late to confirm
});

test('only 财务 / 超级管理员 approve; only the service role runs the job; H5 confirm is local-only', async () => {
  const id = await withdraw(1000);
  expect(await approve(-1)).toMatchObject({ status: 400 });
  expect(await call('withdrawal-transfer', member, { withdrawal_id: id })).toMatchObject({ status: 403, body: { code: 'forbidden_role' } });
  expect(await call('withdrawal-transfer', ANON_KEY, { withdrawal_id: id })).toMatchObject({ status: 401 });
  expect(await call('payout-transfers', member, {})).toMatchObject({ status: 401, body: { code: 'job_forbidden' } });
  expect(await call('payout-transfers', ANON_KEY, {})).toMatchObject({ status: 401 });
  expect(await call('dev-transfer-confirm', member, { withdrawal_id: id })).toMatchObject({ status: 404 });
  expect(await mine(id)).toMatchObject({ status: 'pending' });
  const { error } = await client(member).rpc('record_transfer_result', { p_out_bill_no: 'X', p_state: 'SUCCESS' });
  expect(error).not.toBeNull();
  await call('withdrawal-transfer', finance, { withdrawal_id: id });
  await fake.payouts.confirm((await transfer(id)).out_bill_no);
});

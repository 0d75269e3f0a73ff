// Subscribe messages end to end (SPEC §12, docs/messages.md): message rows → push rows (trigger)
// → the message-sender job (real Deno, called through the gateway as the scheduler does) →
// the fake WeChat's POST /cgi-bin/message/subscribe/send (value limits, subscription counts,
// token checks) → message_push_report in the real database. Success, 43101, token expiry
// (40001/42001) with one refresh, 47003, back-off then dead letter, no answer (never resent),
// and concurrent senders (never twice). reconcile() stays clean (no money moves here).
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e000000000msg';
const SECRET = 'e2e-wechat-secret-msg';
const T_JOINED = 'TPL_JOINED_0001';
const T_PROGRESS = 'TPL_PROGRESS_0001';
const KEYS = ['thing1', 'amount2', 'time3', 'thing4'];
const PROGRESS_KEYS = ['phrase1', 'amount2', 'time3', 'thing4'];

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;
let seq = 0;

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  fake = await startWechatFake({ appid: APPID, secret: SECRET });
  fake.subscribe.addTemplate(T_JOINED, KEYS);
  fake.subscribe.addTemplate(T_PROGRESS, PROGRESS_KEYS);
  const port = await freePort();
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  fns = await startFunctions({
    port, quiet: true,
    env: {
      SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET,
      WECHAT_API_BASE: fake.url, WECHAT_APPID: APPID, WECHAT_SECRET: SECRET, REBATE_LOCAL_DEV: undefined,
      MESSAGE_SENDER_TIMEOUT_MS: '1500',
    },
  });
  await db.query(`update rebate.subscribe_templates set template_id = $1 where key = 'queue_joined'`, [T_JOINED]);
  await db.query(`update rebate.subscribe_templates set template_id = $1 where key = 'rebate_progress'`, [T_PROGRESS]);
}, 90_000);

afterAll(async () => {
  await fns?.stop();
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

afterEach(async () => {
  expect(await db.query(`select * from public.reconcile()`)).toEqual([]);
});

// ------------------------------------------------------------------ helpers
/** A member with an openid, `accepted` acceptances of the template both here and at WeChat. */
async function member(accepted = 1, template = T_JOINED): Promise<{ id: string; openid: string }> {
  seq += 1;
  const openid = `oMsg_${process.pid}_${seq}`;
  const [{ id }] = await db.query(`select public.upsert_member_by_openid($1) as id`, [openid]);
  if (accepted > 0) {
    await db.query(`insert into rebate.subscriptions (member_id, template_id, remaining, accepted_total, last_result)
                    values ($1, $2, $3, $3, 'accept')`, [id, template, accepted]);
    fake.subscribe.accept(openid, template, accepted);
  }
  return { id, openid };
}

async function message(memberId: string, kind = 'entry_joined', title = '排队返利排队成功',
  body = '订单MO202612030001已加入排队，待返权益¥168.00', amountFen: number | null = 16800): Promise<number> {
  const [{ id }] = await db.query(`insert into rebate.messages (member_id, kind, title, body, amount_fen)
                                   values ($1, $2, $3, $4, $5) returning id::int`, [memberId, kind, title, body, amountFen]);
  return id;
}

async function push(messageId: number) {
  const [row] = await db.query(`select id::int, status, attempts, reserved, last_errcode, last_error, msgid,
                                       extract(epoch from next_attempt_at - updated_at)::int as backoff_s
                                  from rebate.message_pushes where message_id = $1`, [messageId]);
  return row;
}

const subscription = async (memberId: string, template = T_JOINED) =>
  (await db.query(`select remaining, sent_total, last_result from rebate.subscriptions where member_id = $1 and template_id = $2`,
    [memberId, template]))[0];

async function runSender(body: unknown = {}, authorization = `Bearer ${SERVICE_ROLE_KEY}`) {
  const res = await fetch(`${gw.url}/functions/v1/message-sender`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, Authorization: authorization },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

/** Runs the sender until nothing is due. */
async function drain() {
  for (;;) {
    const r = await runSender();
    expect(r.status).toBe(200);
    if (r.body.claimed === 0) return;
  }
}

const sentTo = (openid: string) => fake.subscribe.sent.filter((s) => s.touser === openid);

// ------------------------------------------------------------------ tests
test('only the service role may run the job', async () => {
  expect((await runSender({}, `Bearer ${ANON_KEY}`)).body).toMatchObject({ code: 'job_forbidden' });
  expect((await runSender({}, '')).status).toBe(401);
  expect((await runSender({ limit: 0 })).body).toMatchObject({ code: 'invalid_body' });
});

test('success: one acceptance, one message sent with every value within its limit; never twice', async () => {
  const m = await member(1);
  const longTitle = '排队返利超长的队列名称用来检查二十个字的限制排队成功';
  const mid = await message(m.id, 'entry_joined', longTitle);
  expect(await push(mid)).toMatchObject({ status: 'pending', reserved: false });
  const r = await runSender();
  expect(r.body).toMatchObject({ claimed: 1, sent: 1, not_subscribed: 0, retry: 0, dead: 0 });
  const [sent] = sentTo(m.openid);
  expect(sent).toMatchObject({ template_id: T_JOINED, page: 'packages/messages/index', lang: 'zh_CN' });
  expect(Array.from(sent.data.thing1.value)).toHaveLength(20);
  expect(sent.data.thing1.value.endsWith('…')).toBe(true);
  expect(sent.data.amount2.value).toBe('168.00元');
  expect(sent.data.time3.value).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  expect(Array.from(sent.data.thing4.value).length).toBeLessThanOrEqual(20);
  expect(await push(mid)).toMatchObject({ status: 'sent', msgid: sent.msgid, attempts: 1 });
  expect(await subscription(m.id)).toEqual({ remaining: 0, sent_total: 1, last_result: 'accept' });
  expect(fake.subscribe.remaining(m.openid, T_JOINED)).toBe(0);

  // the acceptance is used: the next message gets no push row; running again sends nothing
  const mid2 = await message(m.id);
  expect(await push(mid2)).toBeUndefined();
  expect((await runSender()).body.claimed).toBe(0);
  expect(sentTo(m.openid)).toHaveLength(1);
});

test('message kinds map to their template: progress kinds use the phrase keyword; kinds without a template are not pushed', async () => {
  const m = await member(2, T_PROGRESS);
  const received = await message(m.id, 'entry_received', '排队返利到账', '排队名额收到¥1.00，累计¥1.00/¥168.00', 100);
  const joined = await message(m.id, 'entry_joined');   // no acceptance of the joined template
  const other = await message(m.id, 'referral_bound', '新成员加入团队', '某某通过您的邀请加入', null);
  expect(await push(joined)).toBeUndefined();
  expect(await push(other)).toBeUndefined();
  await drain();
  expect(await push(received)).toMatchObject({ status: 'sent' });
  const [sent] = sentTo(m.openid);
  expect(sent.template_id).toBe(T_PROGRESS);
  expect(sent.data.phrase1.value).toBe('返利到账');
  expect(sent.data.amount2.value).toBe('1.00元');
  expect(await subscription(m.id, T_PROGRESS)).toMatchObject({ remaining: 1, sent_total: 1 });
});

test('43101: WeChat has no subscription left → skipped, and the member has none here either', async () => {
  const m = await member(2);
  fake.subscribe.revoke(m.openid, T_JOINED);   // the member turned messages off in WeChat
  const mid = await message(m.id);
  expect((await runSender()).body).toMatchObject({ claimed: 1, not_subscribed: 1 });
  expect(await push(mid)).toMatchObject({ status: 'skipped', last_errcode: 43101 });
  expect(await subscription(m.id)).toMatchObject({ remaining: 0, last_result: 'not_subscribed' });
  expect(sentTo(m.openid)).toHaveLength(0);
  expect(await push(await message(m.id))).toBeUndefined();
});

test('token expiry: 40001 (a stale cached token) and 42001 (expired) → refreshed once and sent', async () => {
  // 40001: the cache holds a token WeChat does not know
  await db.query(`select public.wechat_token_put($1, 'stale-token-not-known-to-wechat', 7200)`, [APPID]);
  const a = await member(1);
  const ma = await message(a.id);
  expect((await runSender()).body).toMatchObject({ claimed: 1, sent: 1, token_refreshed: 1 });
  expect(await push(ma)).toMatchObject({ status: 'sent', attempts: 1 });
  const [{ access_token: cached }] = await db.query(`select access_token from rebate.wechat_tokens where appid = $1`, [APPID]);
  expect(cached).not.toBe('stale-token-not-known-to-wechat');

  // 42001: WeChat's clock passes the token's expiry while our cache still trusts it
  fake.advanceTime(7200 * 1000 + 1000);
  const b = await member(1);
  const mb = await message(b.id);
  expect((await runSender()).body).toMatchObject({ claimed: 1, sent: 1, token_refreshed: 1 });
  expect(await push(mb)).toMatchObject({ status: 'sent' });
  const calls = fake.subscribe.calls.filter((c) => c.body?.touser === b.openid).map((c) => c.errcode);
  expect(calls).toEqual([42001, 0]);

  // refreshed and still refused: not sent, retried later (one attempt used)
  const c = await member(1);
  const mc = await message(c.id);
  fake.failNext('POST /cgi-bin/message/subscribe/send', 40001);
  fake.failNext('POST /cgi-bin/message/subscribe/send', 40001);
  expect((await runSender()).body).toMatchObject({ claimed: 1, retry: 1 });
  expect(await push(mc)).toMatchObject({ status: 'pending', attempts: 1, last_errcode: 40001, backoff_s: 60 });
  await db.query(`update rebate.message_pushes set next_attempt_at = now() where message_id = $1`, [mc]);
  expect((await runSender()).body).toMatchObject({ claimed: 1, sent: 1 });
  expect(await push(mc)).toMatchObject({ status: 'sent', attempts: 2 });
  expect(await subscription(c.id)).toMatchObject({ remaining: 0, sent_total: 1 });
});

test('47003: a field WeChat refuses is a dead letter at once; the fake checks each value kind', async () => {
  // the WeChat template has a keyword our configuration does not fill
  const T_BAD = 'TPL_BAD_FIELDS_01';
  fake.subscribe.addTemplate(T_BAD, [...KEYS, 'character_string5']);
  await db.query(`update rebate.subscribe_templates set template_id = $1 where key = 'withdrawal_result'`, [T_BAD]);
  const m = await member(1, T_BAD);
  const mid = await message(m.id, 'withdrawal_approved', '提现已打款', '提现¥10.00已打款¥10.00', 1000);
  expect((await runSender()).body).toMatchObject({ claimed: 1, dead: 1 });
  const row = await push(mid);
  expect(row).toMatchObject({ status: 'dead', attempts: 1, last_errcode: 47003 });
  expect(row.last_error).toMatch(/data\.(thing1|character_string5)\.value/);
  await db.query(`update rebate.subscribe_templates set template_id = null where key = 'withdrawal_result'`);

  // the value rules themselves
  const v = fake.subscribe.valid;
  expect(v('thing1', '一二三四五六七八九十一二三四五六七八九十')).toBe(true);
  expect(v('thing1', '一二三四五六七八九十一二三四五六七八九十一')).toBe(false);
  expect(v('amount2', '1.00元')).toBe(true);
  expect(v('amount2', '¥168.00')).toBe(true);
  expect(v('amount2', '1.005元')).toBe(false);
  expect(v('amount2', '12345678901元')).toBe(false);
  expect(v('time3', '2026-12-03 15:01')).toBe(true);
  expect(v('time3', '2026-12-03 15:01~2026-12-04 15:01')).toBe(true);
  expect(v('time3', '明天下午')).toBe(false);
  expect(v('phrase1', '返利到账')).toBe(true);
  expect(v('phrase1', '返利已经到账了')).toBe(false);
  expect(v('phrase1', 'ok')).toBe(false);
  expect(v('character_string5', 'MO202612030001')).toBe(true);
  expect(v('character_string5', 'x'.repeat(33))).toBe(false);
  expect(v('number6', '12.5')).toBe(true);
  expect(v('number6', '12a')).toBe(false);

  // over HTTP, as WeChat answers it
  const [{ access_token: token }] = await db.query(`select access_token from rebate.wechat_tokens where appid = $1`, [APPID]);
  const res = await fetch(`${fake.url}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, {
    method: 'POST',
    body: JSON.stringify({ touser: m.openid, template_id: T_JOINED, data: {
      thing1: { value: 'x'.repeat(21) }, amount2: { value: '1.00元' }, time3: { value: '2026-12-03 15:01' }, thing4: { value: 'ok' } } }),
  });
  const body = await res.json();
  expect(res.status).toBe(200);
  expect(body.errcode).toBe(47003);
  expect(body.errmsg).toMatch(/^argument invalid! data\.thing1\.value invalid, rid: /);
});

test('back-off: a busy WeChat is retried after 60, 120, 240, 480 s, then the fifth failure is a dead letter', async () => {
  const m = await member(1);
  const mid = await message(m.id);
  const backoffs: number[] = [];
  for (let i = 1; i <= 5; i += 1) {
    fake.failNext('POST /cgi-bin/message/subscribe/send', -1);
    const r = await runSender();
    expect(r.body.claimed).toBe(1);
    const row = await push(mid);
    expect(row.attempts).toBe(i);
    expect(row.last_errcode).toBe(-1);
    if (i < 5) {
      expect(row.status).toBe('pending');
      backoffs.push(row.backoff_s);
      expect((await runSender()).body.claimed).toBe(0);   // not due yet
      await db.query(`update rebate.message_pushes set next_attempt_at = now() where message_id = $1`, [mid]);
    } else {
      expect(row.status).toBe('dead');
    }
  }
  expect(backoffs).toEqual([60, 120, 240, 480]);
  expect(sentTo(m.openid)).toHaveLength(0);
  // the dead letter keeps its acceptance: the member's count stays taken, no other message gets it
  expect(await subscription(m.id)).toMatchObject({ remaining: 0 });
  // an operator's retry (the console) sends it on the next run, once
  await db.query(`update rebate.message_pushes set status = 'pending', attempts = 0, next_attempt_at = now() where message_id = $1`, [mid]);
  expect((await runSender()).body).toMatchObject({ claimed: 1, sent: 1 });
  expect(sentTo(m.openid)).toHaveLength(1);
});

test('no answer in time: a dead letter with an unknown outcome, never resent by itself', async () => {
  const m = await member(1);
  const mid = await message(m.id);
  fake.subscribe.delayNext(3000);   // the sender gives up after 1.5 s; WeChat then sends it anyway
  expect((await runSender()).body).toMatchObject({ claimed: 1, dead: 1 });
  const row = await push(mid);
  expect(row).toMatchObject({ status: 'dead' });
  expect(row.last_error).toMatch(/结果未知/);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  expect(sentTo(m.openid)).toHaveLength(1);
  expect((await runSender()).body.claimed).toBe(0);
  expect(sentTo(m.openid)).toHaveLength(1);
});

test('a sender that died between WeChat and its report: the lease runs out, the row becomes a dead letter, not a second send', async () => {
  const m = await member(1);
  const mid = await message(m.id);
  // a claim by a sender that then vanished
  const [claimed] = await db.query(`select push_id::int from public.message_push_claim(10, 10)`);
  expect(claimed.push_id).toBe((await push(mid)).id);
  expect((await runSender()).body.claimed).toBe(0);   // leased: nobody else takes it
  await db.query(`update rebate.message_pushes set lease_until = now() - interval '1 second' where message_id = $1`, [mid]);
  expect((await runSender()).body.claimed).toBe(0);
  expect(await push(mid)).toMatchObject({ status: 'dead' });
  expect(sentTo(m.openid)).toHaveLength(0);
  // its late report changes nothing
  const [{ s }] = await db.query(`select public.message_push_report($1, 'sent', null, null, '123') as s`, [claimed.push_id]);
  expect(s).toBe('dead');
});

test('concurrent senders: 40 messages, 4 senders at once in small batches: each sent exactly once', async () => {
  const members = await Promise.all(Array.from({ length: 20 }, () => member(2)));
  const ids: number[] = [];
  for (const m of members) {
    ids.push(await message(m.id));
    ids.push(await message(m.id, 'entry_joined', '排队返利排队成功', '第二条'));
  }
  const before = fake.subscribe.sent.length;
  const runs = await Promise.all(Array.from({ length: 4 }, async () => {
    let claimed = 0;
    for (;;) {
      const r = await runSender({ limit: 3 });
      expect(r.status).toBe(200);
      if (r.body.claimed === 0) return claimed;
      claimed += r.body.claimed;
    }
  }));
  expect(runs.reduce((a, b) => a + b, 0)).toBe(40);
  const sent = fake.subscribe.sent.slice(before);
  expect(sent).toHaveLength(40);
  for (const m of members) {
    expect(sentTo(m.openid)).toHaveLength(2);
    expect(await subscription(m.id)).toMatchObject({ remaining: 0, sent_total: 2 });
  }
  const rows = await db.query(`select status, count(*)::int as n from rebate.message_pushes where message_id = any($1) group by status`, [ids]);
  expect(rows).toEqual([{ status: 'sent', n: 40 }]);
});

// Referral and merchant onboarding end to end, at the API level: supabase-js through the gateway,
// the invite-qrcode edge function under real Deno, the fake WeChat (stable_token,
// getwxacodeunlimit) and Postgres. The images are decoded with pngjs + jsqr, as a phone would.
//   1. a promoter shows the invite code; a new member opens the join page with its scene and is bound
//   2. without WeChat credentials the image is a plain QR code of the same scene
//   3. a merchant applies with a promoter's merchant code; after approval the cashier code works
import { createRequire } from 'node:module';
import jsQR from 'jsqr';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { startFunctions, type FunctionsHost } from '../../supabase/local/functions.mjs';
import { startWechatFake, type WechatFake } from '../../supabase/local/wechat-fake.mjs';
import env from '../../supabase/local/env.cjs';
import gateway from '../../supabase/local/gateway.cjs';
import { cloneTemplateDatabase, freePort } from './helpers';

const { PNG } = createRequire(import.meta.url)('pngjs') as {
  PNG: { sync: { read(data: Buffer): { width: number; height: number; data: Buffer } } };
};
const { ANON_KEY, JWT_SECRET, SERVICE_ROLE_KEY } = env;
const APPID = 'wx00e2e000referral';
const SECRET = 'e2e-referral-secret';
const JOIN_PAGE = 'packages/invite/join/index';
const CASHIER_PAGE = 'packages/cashier/index';

let db: Awaited<ReturnType<typeof cloneTemplateDatabase>>;
let gw: Awaited<ReturnType<typeof gateway.startGateway>>;
let fake: WechatFake;
let fns: FunctionsHost;       // WeChat configured: mini-program codes
let plain: FunctionsHost;     // no WeChat credentials: standard QR codes

const noRealtime = { transport: class { constructor() { throw new Error('no realtime'); } } as any };

beforeAll(async () => {
  db = await cloneTemplateDatabase();
  fake = await startWechatFake({ appid: APPID, secret: SECRET });   // its published pages: home, join, cashier
  const [port, plainPort] = [await freePort(), await freePort()];
  gw = await gateway.startGateway({
    databaseUrl: env.authenticatorUrl(db.url), jwtSecret: JWT_SECRET, anonKey: ANON_KEY, serviceRoleKey: SERVICE_ROLE_KEY,
    functionsUrl: `http://127.0.0.1:${port}`,
  });
  const common = { SUPABASE_URL: gw.url, SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY, JWT_SECRET, WECHAT_API_BASE: fake.url,
    REBATE_LOCAL_DEV: undefined, WECHAT_CODE_ENV_VERSION: undefined, WECHAT_CODE_CHECK_PATH: undefined };
  [fns, plain] = await Promise.all([
    startFunctions({ port, quiet: true, env: { ...common, WECHAT_APPID: APPID, WECHAT_SECRET: SECRET } }),
    startFunctions({ port: plainPort, quiet: true, env: { ...common, WECHAT_APPID: undefined, WECHAT_SECRET: undefined } }),
  ]);
  await db.query(`update rebate.settings set enabled = true, extraction_bps = 1000, default_reward_bps = 10000,
                  referral_direct_bps = 500, merchant_recruit_bps = 200 where id = 1`);
  await db.query(`insert into rebate.team_levels (id, name, rank, can_recruit_merchants) values (1, '招商经理', 1, true)`);
}, 90_000);
afterAll(async () => {
  await Promise.all([fns?.stop(), plain?.stop()]);
  await gw?.close();
  await fake?.stop();
  await db?.close();
});

let openids = 0;
/** A member as WeChat login would create it, with a supabase-js client signed in as them. */
async function member(nickname: string): Promise<{ id: string; token: string; client: SupabaseClient }> {
  const [{ id }] = await db.query(`select public.upsert_member_by_openid($1) as id`, [`o_ref_e2e_${++openids}`]);
  await db.query(`update rebate.members set nickname = $2 where id = $1`, [id, nickname]);
  const now = Math.floor(Date.now() / 1000);
  const token = await gateway.signJwt({ aud: 'authenticated', role: 'authenticated', sub: id, iat: now, exp: now + 3600 }, JWT_SECRET);
  const client = createClient(gw.url, ANON_KEY, { accessToken: async () => token, realtime: noRealtime } as any);
  return { id, token, client };
}
const service = () => createClient(gw.url, SERVICE_ROLE_KEY, { auth: { persistSession: false }, realtime: noRealtime } as any);

async function rpc<T = any>(client: SupabaseClient, fn: string, args: Record<string, unknown> = {}): Promise<T> {
  const { data, error } = await client.rpc(fn, args);
  if (error) throw Object.assign(new Error(error.message), error);
  return data as T;
}

/** POST invite-qrcode through the gateway (or straight to a functions host). */
async function qrcode(token: string | null, body: Record<string, unknown>, base = `${gw.url}/functions/v1`) {
  const res = await fetch(`${base}/invite-qrcode`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', apikey: ANON_KEY, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() as Record<string, any> };
}

/** What a camera reads from the image. */
function decode(imageBase64: string): string {
  const png = PNG.sync.read(Buffer.from(imageBase64, 'base64'));
  const qr = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
  if (!qr) throw new Error('no QR code in the image');
  return qr.data;
}

/** The scene as the join page receives it: the page query `scene`, URI-encoded by WeChat. */
const sceneCode = (scene: string) => decodeURIComponent(encodeURIComponent(scene)).replace(/^[imc]=/, '');

test('a promoter shows the invite code; a new member opens the join page with its scene and is bound', async () => {
  const promoter = await member('推广员小王');
  const invite = await rpc(promoter.client, 'my_invite');
  expect(invite).toMatchObject({ scene: `i=${invite.member_code}`, page: JOIN_PAGE, referrer: null });

  const res = await qrcode(promoter.token, { kind: 'member' });
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ kind: 'member', scene: invite.scene, page: JOIN_PAGE, mime: 'image/png', wxacode: true, cached: false });
  // the fake draws the mini-program code as a QR code of what WeChat would hand the app
  expect(JSON.parse(decode(res.body.image_base64))).toEqual({ page: JOIN_PAGE, scene: invite.scene, env_version: 'release' });

  const again = await qrcode(promoter.token, {});
  expect(again.body).toMatchObject({ scene: invite.scene, cached: true, image_base64: res.body.image_base64 });
  expect(await db.query(`select appid from rebate.wechat_tokens`)).toEqual([{ appid: APPID }]);
  expect(await db.query(`select scene, variant from rebate.qrcode_images`))
    .toEqual([{ scene: invite.scene, variant: `wxa:${APPID}:release:430` }]);

  // a new member scans it: the join page gets the scene, shows whose invite it is, and binds
  const newcomer = await member('新人');
  const scanned = JSON.parse(decode(res.body.image_base64)).scene as string;
  expect(await rpc(newcomer.client, 'invite_info', { p_invite_code: scanned }))
    .toMatchObject({ referrer_nickname_masked: '推**', can_bind: true });
  const bound = await rpc(newcomer.client, 'bind_referrer', { p_invite_code: scanned });
  expect(bound).toMatchObject({ bound: true, referrer_nickname_masked: '推**', bound_at: expect.any(String), source: 'scan' });
  expect(await rpc(newcomer.client, 'my_invite')).toMatchObject({ referrer: { nickname_masked: '推**' } });
  expect(await rpc(promoter.client, 'my_team_summary')).toMatchObject({ direct_count: 1 });
  const { error } = await newcomer.client.rpc('bind_referrer', { p_invite_code: sceneCode(invite.scene) });
  expect(error).toBeNull();   // the same referrer again: already bound, no error
});

test('without WeChat credentials the image is a standard QR code of the same scene', async () => {
  const m = await member('会员甲');
  const invite = await rpc(m.client, 'my_invite');
  const res = await qrcode(m.token, { kind: 'member' }, plain.url);
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ scene: invite.scene, page: JOIN_PAGE, mime: 'image/png', wxacode: false, cached: false });
  expect(decode(res.body.image_base64)).toBe(invite.scene);
  expect((await qrcode(m.token, {}, plain.url)).body.cached).toBe(true);
});

test('WeChat errors: an invalid token is refreshed once; quota errors reach the client with a stable code', async () => {
  const m = await member('会员乙');
  fake.failNext('POST /wxa/getwxacodeunlimit', 40001);
  const ok = await qrcode(m.token, { kind: 'member' });
  expect(ok.status).toBe(200);
  expect(ok.body.wxacode).toBe(true);

  const n = await member('会员丙');
  fake.failNext('POST /wxa/getwxacodeunlimit', 45009);
  const limited = await qrcode(n.token, { kind: 'member' });
  expect(limited).toEqual({ status: 429, body: { code: 'wechat_rate_limited', message: '请求太频繁，请稍后再试' } });
  expect((await qrcode(n.token, { kind: 'member' })).status).toBe(200);   // nothing bad was cached
});

test('refusals: no token, a bad body, a merchant code without the right, a cashier code without a store', async () => {
  const m = await member('会员丁');
  expect((await qrcode(null, {})).status).toBe(401);
  expect(await qrcode(m.token, { kind: 'poster' })).toMatchObject({ status: 400, body: { code: 'invalid_kind' } });
  expect(await qrcode(m.token, { kind: 'member', extra: 1 })).toMatchObject({ status: 400, body: { code: 'invalid_body' } });
  expect(await qrcode(m.token, { kind: 'cashier', store_id: -1 })).toMatchObject({ status: 400, body: { code: 'invalid_store_id' } });
  expect(await qrcode(m.token, { kind: 'merchant' })).toMatchObject({ status: 400, body: { code: 'not_recruiter', message: '您暂无招商权限' } });
  expect(await qrcode(m.token, { kind: 'cashier' })).toMatchObject({ status: 400, body: { code: 'invalid_store_id' } });
  expect(await qrcode(m.token, { kind: 'cashier', store_id: 1 })).toMatchObject({ status: 400, body: { code: 'store_not_found' } });
});

test('a merchant applies with a promoter\'s merchant code; after approval the cashier code works and pays the recruiter', async () => {
  const promoter = await member('招商员老李');
  await db.query(`insert into rebate.promoters (member_id, team_level_id) values ($1, 1)`, [promoter.id]);
  const invite = await rpc(promoter.client, 'my_invite');
  expect(invite).toMatchObject({ can_invite_merchants: true, merchant_scene: `m=${invite.member_code}`, merchant_page: JOIN_PAGE });
  const code = await qrcode(promoter.token, { kind: 'merchant' });
  expect(code.status).toBe(200);
  const scanned = JSON.parse(decode(code.body.image_base64));
  expect(scanned).toMatchObject({ page: JOIN_PAGE, scene: invite.merchant_scene });

  const owner = await member('王老板');
  expect(await rpc(owner.client, 'merchant_invite_info', { p_invite_code: scanned.scene }))
    .toMatchObject({ platform: false, recruiter_nickname_masked: '招**' });
  const app = await rpc(owner.client, 'submit_merchant_application', {
    p_invite_code: scanned.scene, p_store_name: '王记小馆', p_contact_name: '王老板', p_contact_phone: '13912345678',
    p_address: '解放路 88 号', p_licence_no: '92330100MA2ABCDE3F' });
  expect(app).toMatchObject({ status: 'pending', store_name: '王记小馆' });

  const admin = await member('平台管理员');
  await db.query(`update rebate.members set is_admin = true where id = $1`, [admin.id]);
  const pending = await rpc(admin.client, 'admin_list_merchant_applications', { p_status: 'pending' });
  expect(pending.map((a: any) => a.application_id)).toContain(app.application_id);
  const approved = await rpc(admin.client, 'admin_approve_merchant_application', { p_application_id: app.application_id });
  const { store } = approved;
  expect(store).toMatchObject({ owner_member_id: owner.id, status: 'approved', cashier: { page: CASHIER_PAGE } });

  // the owner shows the cashier code; a customer scans it and pays there
  const cashierCode = await qrcode(owner.token, { kind: 'cashier' });
  expect(cashierCode.status).toBe(200);
  const cashierScan = JSON.parse(decode(cashierCode.body.image_base64));
  expect(cashierScan).toEqual({ page: CASHIER_PAGE, scene: `c=${store.cashier.cashier_code}`, env_version: 'release' });
  const customer = await member('顾客');
  const stores = await rpc<any[]>(customer.client, 'list_stores');
  const target = stores.find((s) => s.cashier_code === sceneCode(cashierScan.scene));
  expect(target).toMatchObject({ id: store.store_id, name: '王记小馆' });
  const order = await rpc(customer.client, 'create_order', { p_order: { channel: 'cashier', store_id: target.id, amount_fen: 6600 } });
  const paid = await rpc(service(), 'mark_order_paid', { p_order_no: order.order_no, p_payment_ref: `E2E-${order.order_no}`, p_paid_fen: 6600 });
  expect(paid).toMatchObject({ status: 'paid' });

  expect(await rpc(promoter.client, 'my_team_summary')).toMatchObject({ rewards: { merchant_recruit_fen: 132 } });   // 2% of 66.00
  const orders = await rpc<any[]>(owner.client, 'store_orders', { p_store_id: store.store_id });
  expect(orders.map((o) => [o.order_no, o.buyer_nickname_masked])).toEqual([[order.order_no, '顾**']]);
  const { error } = await customer.client.rpc('store_orders', { p_store_id: store.store_id });
  expect(error).toMatchObject({ message: 'store_not_found' });
  expect(await rpc(service(), 'reconcile')).toEqual([]);
});

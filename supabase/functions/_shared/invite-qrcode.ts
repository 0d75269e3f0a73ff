// POST /functions/v1/invite-qrcode with the member's token, body {kind?, store_id?}:
//   kind 'member' (default)  my invite code         scene i=<member code>   page packages/invite/join/index
//        'merchant'          my merchant invite     scene m=<member code>   page packages/invite/join/index
//        'cashier'           my store's cashier     scene c=<cashier code>  page packages/cashier/index
// → 200 {kind, scene, page, mime, image_base64, wxacode, cached}
// With WECHAT_APPID/WECHAT_SECRET set the image is a WeChat mini-program code (getwxacodeunlimit;
// WECHAT_CODE_ENV_VERSION release|trial|develop, WECHAT_CODE_CHECK_PATH true|false, default true
// only for release); otherwise a standard QR code PNG whose text is the scene. The database
// decides the scene and who may have it (qrcode_target, as the member) and caches the image per
// scene and variant (qrcode_store, as the service role).
import { readConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { HttpError, postJson } from './http.ts';
import { qrPng } from './qr-image.ts';
import { type CodeImage, getUnlimitedCode, type UnlimitedCodeRequest } from './wxacode.ts';

const KINDS = new Set(['member', 'merchant', 'cashier']);
const WIDTH = 430;

interface Target {
  kind: string;
  scene: string;
  page: string;
  image_base64: string | null;
  mime: CodeImage['mime'] | null;
}

export interface InviteQrCode {
  kind: string;
  scene: string;
  page: string;
  mime: CodeImage['mime'];
  image_base64: string;
  /** true: a WeChat mini-program code; false: a plain QR code of the scene */
  wxacode: boolean;
  cached: boolean;
}

function bearerToken(req: Request): string {
  const m = /^bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!m) throw new HttpError(401, 'login_required', '请先登录');
  return m[1].trim();
}

/** A database refusal (stable code + Chinese hint) goes to the client as it is. */
function dbError(name: string, error: { message?: string; hint?: string | null; code?: string }): HttpError {
  if (error.code === 'P0001' && error.message) return new HttpError(400, error.message, error.hint ?? '操作失败');
  if (error.code === 'PGRST301' || error.code === 'PGRST303' || error.code === '42501') {
    return new HttpError(401, 'login_required', '请先登录');
  }
  console.error(`rpc ${name} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

function env(name: string): string {
  return Deno.env.get(name)?.trim() ?? '';
}

function codeSettings(): Pick<UnlimitedCodeRequest, 'envVersion' | 'checkPath' | 'width'> {
  const v = env('WECHAT_CODE_ENV_VERSION');
  const envVersion = v === 'trial' || v === 'develop' ? v : 'release';
  const c = env('WECHAT_CODE_CHECK_PATH');
  const checkPath = c === 'true' ? true : c === 'false' ? false : envVersion === 'release';
  return { envVersion, checkPath, width: WIDTH };
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export const handleInviteQrcode = postJson(async (body, req) => {
  if (Object.keys(body).some((k) => k !== 'kind' && k !== 'store_id')) {
    throw new HttpError(400, 'invalid_body', '请求格式错误');
  }
  const kind = body.kind ?? 'member';
  if (typeof kind !== 'string' || !KINDS.has(kind)) throw new HttpError(400, 'invalid_kind', '二维码类型无效');
  const storeId = body.store_id ?? null;
  if (storeId !== null && (typeof storeId !== 'number' || !Number.isSafeInteger(storeId) || storeId <= 0)) {
    throw new HttpError(400, 'invalid_store_id', '门店无效');
  }
  const token = bearerToken(req);
  const cfg = readConfig();
  const wx = Boolean(cfg.wechatAppId && cfg.wechatSecret);
  const settings = codeSettings();
  const variant = wx ? `wxa:${cfg.wechatAppId}:${settings.envVersion}:${settings.width}` : 'qr';

  const found = await userClient(cfg, token).rpc('qrcode_target', { p_kind: kind, p_store_id: storeId, p_variant: variant });
  if (found.error) throw dbError('qrcode_target', found.error);
  const target = found.data as Target;
  if (target.image_base64 && target.mime) {
    return {
      kind, scene: target.scene, page: target.page, mime: target.mime, image_base64: target.image_base64,
      wxacode: wx, cached: true,
    } satisfies InviteQrCode;
  }

  const service = serviceClient(cfg);
  const image: CodeImage = wx
    ? await getUnlimitedCode(
      { apiBase: cfg.wechatApiBase, appId: cfg.wechatAppId, secret: cfg.wechatSecret },
      service,
      { scene: target.scene, page: target.page, ...settings },
    )
    : { bytes: await qrPng(target.scene, settings.width), mime: 'image/png' };
  const imageBase64 = toBase64(image.bytes);
  const stored = await service.rpc('qrcode_store', {
    p_scene: target.scene, p_page: target.page, p_variant: variant, p_mime: image.mime, p_image_base64: imageBase64,
  });
  if (stored.error) throw dbError('qrcode_store', stored.error);
  return {
    kind, scene: target.scene, page: target.page, mime: image.mime, image_base64: imageBase64, wxacode: wx, cached: false,
  } satisfies InviteQrCode;
});

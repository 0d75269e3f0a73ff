// Mini-program codes: POST /wxa/getwxacodeunlimit (WECHAT-NOTES §3). Success is image bytes
// (labelled image/jpeg even when they are PNG: sniff the magic bytes); failure is JSON.
// A token WeChat calls invalid (40001/40014/42001) is dropped, refreshed, and the call retried once.
import type { SupabaseClient } from '@supabase/supabase-js';
import type { WechatApp } from './wechat.ts';
import { accessToken, postWechat, TOKEN_ERRCODES, wechatFailed } from './wechat-token.ts';

export interface CodeImage {
  bytes: Uint8Array;
  mime: 'image/png' | 'image/jpeg';
}

export interface UnlimitedCodeRequest {
  scene: string;
  page: string;
  envVersion: 'release' | 'trial' | 'develop';
  checkPath: boolean;
  width: number;
}

/** The image type from its first bytes, or null. */
export function sniffImage(bytes: Uint8Array): CodeImage['mime'] | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return null;
}

async function callOnce(app: WechatApp, token: string, req: UnlimitedCodeRequest): Promise<CodeImage | { errcode: number }> {
  const res = await postWechat(app.apiBase, `/wxa/getwxacodeunlimit?access_token=${encodeURIComponent(token)}`, {
    scene: req.scene,
    page: req.page,
    check_path: req.checkPath,
    env_version: req.envVersion,
    width: req.width,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const mime = sniffImage(bytes);
  if (!type.startsWith('application/json') && mime) return { bytes, mime };
  let errcode = -2;
  try {
    const body = JSON.parse(new TextDecoder().decode(bytes)) as { errcode?: unknown; errmsg?: unknown };
    errcode = Number(body.errcode ?? -2);
    console.error('getwxacodeunlimit failed:', errcode, body.errmsg);
  } catch {
    console.error('getwxacodeunlimit answered neither an image nor JSON, HTTP', res.status);
  }
  return { errcode };
}

export async function getUnlimitedCode(app: WechatApp, service: SupabaseClient, req: UnlimitedCodeRequest): Promise<CodeImage> {
  let token = await accessToken(app, service);
  let result = await callOnce(app, token, req);
  if ('errcode' in result && TOKEN_ERRCODES.has(result.errcode)) {
    await service.rpc('wechat_token_invalidate', { p_appid: app.appId, p_access_token: token });
    token = await accessToken(app, service, true);
    result = await callOnce(app, token, req);
  }
  if ('errcode' in result) throw wechatFailed(result.errcode);
  return result;
}

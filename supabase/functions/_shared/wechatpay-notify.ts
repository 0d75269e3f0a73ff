// The one receiver of WeChat Pay notifications (WECHAT-NOTES.md §5; docs/payments.md), used by
// pay-notify (payments and refunds, pay.ts) and transfer-notify (merchant transfers, transfers.ts):
// POST only, WeChat Pay configured, at most 64 KiB, the Wechatpay-Signature verified with the
// WeChat Pay key, the JSON envelope parsed, the resource decrypted (AEAD_AES_256_GCM with the
// APIv3 key). Each endpoint keeps only its event dispatch.
// WeChat only looks at the status: 200/204 = delivered; 4XX/5XX with {code: 'FAIL', message} =
// delivered again later (up to 15 times over 24 h).
import { readWechatPayConfig, type WechatPayConfig } from './config.ts';
import { json } from './http.ts';
import { checkWechatpaySignature, decryptResource } from './wechatpay.ts';

export const MAX_NOTIFICATION_BYTES = 64 * 1024;

/** The answer that makes WeChat deliver the notification again later. */
export function notifyFail(status: number, message: string): Response {
  return json(status, { code: 'FAIL', message });
}

/** A verified, decrypted notification. */
export interface WechatpayNotification {
  pay: WechatPayConfig;
  /** the notification's id (for logs) */
  id: string;
  eventType: string;
  /** the decrypted resource */
  resource: Record<string, unknown>;
}

export interface Receiver {
  /** for logs: 'pay-notify', 'transfer-notify' */
  name: string;
  /** the event types this endpoint applies; any other is acknowledged (204) without decrypting */
  accepts: (eventType: string) => boolean;
}

interface DbError {
  message?: string;
  hint?: string | null;
  code?: string;
}

/**
 * A database function refused or failed while applying a notification: a refusal (P0001: not
 * ours, contradicts what we know) is 400 — WeChat retries, a person looks — anything else 500.
 */
export function notifyDbFailure(name: string, eventId: string, fn: string, error: DbError): Response {
  if (error.code === 'P0001') {
    console.error(`${name} ${eventId}: ${fn} refused: ${error.message} (${error.hint ?? ''})`);
    return notifyFail(400, error.hint ?? '处理失败');
  }
  console.error(`${name} ${eventId}: ${fn} failed:`, error);
  return notifyFail(500, '系统繁忙');
}

// the merchant key and notify_url are for calling WeChat; a notification needs only these
const NEEDED = /^(WECHAT_APPID|WECHATPAY_MCHID|WECHATPAY_API_V3_KEY|WECHATPAY_PLATFORM)/;

/**
 * Receives one notification and hands an accepted event to `apply`, whose null means applied
 * (or nothing to do): 204. Every refusal is answered here with the status WeChat expects.
 */
export async function receiveWechatpayNotification(
  req: Request,
  receiver: Receiver,
  apply: (n: WechatpayNotification) => Promise<Response | null>,
): Promise<Response> {
  const { name } = receiver;
  if (req.method !== 'POST') return notifyFail(405, '请求方式不支持');
  const { config: pay, missing } = readWechatPayConfig();
  const needed = missing.filter((m) => NEEDED.test(m));
  if (needed.length > 0) {
    console.error(`${name}: WeChat Pay is not configured: ${needed.join(', ')} not set`);
    return notifyFail(500, '系统繁忙');
  }
  try {
    const raw = new Uint8Array(await req.arrayBuffer());
    if (raw.length > MAX_NOTIFICATION_BYTES) return notifyFail(413, '通知过大');
    const problem = await checkWechatpaySignature(pay, req.headers, raw);
    if (problem) {
      console.error(`${name}: signature refused (${problem}), serial ${req.headers.get('wechatpay-serial')}`);
      return notifyFail(401, '签名验证失败');
    }
    let note: Record<string, unknown>;
    try {
      note = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
      if (!note || typeof note !== 'object' || !note.resource || typeof note.resource !== 'object') throw new Error();
    } catch {
      return notifyFail(400, '通知格式错误');
    }
    const id = String(note.id ?? '?');
    const eventType = typeof note.event_type === 'string' ? note.event_type : '';
    if (!receiver.accepts(eventType)) {
      console.log(`${name} ${id}: ${String(note.event_type)} acknowledged, nothing to do`);
      return new Response(null, { status: 204 });
    }
    let resource: Record<string, unknown>;
    try {
      resource = JSON.parse(await decryptResource(pay.apiV3Key, note.resource as Record<string, unknown>));
      if (!resource || typeof resource !== 'object' || Array.isArray(resource)) throw new Error('not an object');
    } catch (err) {
      // the signature held, so WeChat sent it: our APIv3 key must be wrong
      console.error(`${name} ${id}: cannot decrypt the resource:`, err);
      return notifyFail(500, '解密失败');
    }
    return (await apply({ pay, id, eventType, resource })) ?? new Response(null, { status: 204 });
  } catch (err) {
    console.error(`${name} failed:`, err);
    return notifyFail(500, '系统繁忙');
  }
}

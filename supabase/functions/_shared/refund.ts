// Refunds through WeChat Pay (WECHAT-NOTES.md §5, docs/payments.md "Refunds"). The database
// decides everything (amount, lines, out_refund_no, state); this file only talks to WeChat:
//   refund-start (console, staff token): record the refund (console_start_refund,
//     console_approve_refund_request, console_retry_refund as the staff member), then
//     POST /v3/refund/domestic/refunds (or GET …/{out_refund_no} for one WeChat already has)
//     and record the answer (record_wechat_refund / record_wechat_refund_error, service role).
//   refund-query (job, service role): the refunds that are due — created ones sent again with
//     the same out_refund_no, processing and abnormal ones asked with GET.
//   pay-notify's REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED → record_wechat_refund.
import { readConfig, readWechatPayConfig, type WechatPayConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { type Handler, HttpError, json, postJson } from './http.ts';
import { requireServiceRole } from './job.ts';
import { type CallResult, RETRY_AT_ONCE, wechatpayCall } from './wechatpay-client.ts';
import { notifyDbFailure, notifyFail } from './wechatpay-notify.ts';

interface DbError {
  message?: string;
  hint?: string | null;
  code?: string;
}

/** A refund as the database shows it (rebate.wechat_refund_view). */
export interface RefundView {
  out_refund_no: string;
  out_trade_no: string;
  refund_fen: number;
  total_fen: number;
  reason: string;
  status: 'created' | 'processing' | 'success' | 'abnormal' | 'closed' | 'failed';
  status_label: string;
  last_error: string | null;
  advice: string | null;
  [key: string]: unknown;
}

const WECHAT_STATES = new Set(['SUCCESS', 'PROCESSING', 'ABNORMAL', 'CLOSED']);
const OPEN = new Set(['created', 'processing', 'abnormal']);

type Db = ReturnType<typeof serviceClient>;

/** Records what WeChat said (or that it said nothing) about one of our refunds; the new view. */
async function recordResult(db: Db, v: RefundView, result: CallResult): Promise<RefundView> {
  const body = result.kind === 'answer' ? result.body : {};
  const amount = (body.amount ?? {}) as Record<string, unknown>;
  if (result.kind === 'answer' && result.status === 200 && WECHAT_STATES.has(String(body.status))) {
    const { data, error } = await db.rpc('record_wechat_refund', {
      p_out_trade_no: v.out_trade_no,
      p_out_refund_no: v.out_refund_no,
      p_status: body.status,
      p_wechat_refund_id: typeof body.refund_id === 'string' ? body.refund_id : null,
      p_refund_fen: Number.isSafeInteger(amount.refund) ? amount.refund : null,
      p_total_fen: Number.isSafeInteger(amount.total) ? amount.total : null,
      p_account: typeof body.user_received_account === 'string' ? body.user_received_account.slice(0, 64) : null,
    });
    if (!error) return data as RefundView;
    // WeChat's answer contradicts the refund (amount, order): keep it open and visible to finance
    console.error(`refund ${v.out_refund_no}: WeChat's answer refused by the database:`, error);
    return recordError(db, v, error.message ?? 'DB_ERROR', error.hint ?? '');
  }
  const code = result.code || 'UNKNOWN';
  const message = result.message || (result.kind === 'answer' ? `HTTP ${result.status}` : '');
  console.error(`refund ${v.out_refund_no}: WeChat Pay ${code} ${message}`);
  return recordError(db, v, code, message);
}

async function recordError(db: Db, v: RefundView, code: string, message: string): Promise<RefundView> {
  const { data, error } = await db.rpc('record_wechat_refund_error', {
    p_out_refund_no: v.out_refund_no,
    p_code: code,
    p_message: message.slice(0, 200),
  });
  if (error) {
    console.error(`refund ${v.out_refund_no}: cannot record the error:`, error);
    throw new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
  }
  return data as RefundView;
}

/**
 * Asks WeChat Pay about one of our open refunds: a created one is (re)sent with its own
 * out_refund_no — WeChat refunds an out_refund_no once, so a resend after a crash or a
 * time-out is safe — and a processing or abnormal one is queried. Returns the new view.
 */
export async function syncRefund(pay: WechatPayConfig, db: Db, v: RefundView): Promise<RefundView> {
  if (!OPEN.has(v.status)) return v;
  let result: CallResult;
  if (v.status === 'created') {
    result = await wechatpayCall(pay, 'POST', '/v3/refund/domestic/refunds', {
      out_trade_no: v.out_trade_no,
      out_refund_no: v.out_refund_no,
      reason: v.reason,
      notify_url: pay.notifyUrl,
      amount: { refund: v.refund_fen, total: v.total_fen, currency: 'CNY' },
    }, RETRY_AT_ONCE);
  } else {
    result = await wechatpayCall(pay, 'GET', `/v3/refund/domestic/refunds/${encodeURIComponent(v.out_refund_no)}`, undefined, RETRY_AT_ONCE);
  }
  return recordResult(db, v, result);
}

function payConfigOr503(): WechatPayConfig {
  const { config, missing } = readWechatPayConfig();
  if (missing.length > 0) {
    console.error(`WeChat Pay is not configured: ${missing.join(', ')} not set`);
    throw new HttpError(503, 'refund_unavailable', '微信支付退款暂未开通');
  }
  return config;
}

function bearerToken(req: Request): string {
  const m = /^bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!m) throw new HttpError(401, 'login_required', '请先登录');
  return m[1].trim();
}

function dbRefusal(fn: string, error: DbError): HttpError {
  if (error.code === 'P0001' && error.message) {
    return new HttpError(error.message === 'forbidden_role' ? 403 : 400, error.message, error.hint ?? '操作失败');
  }
  if (error.code === 'PGRST301' || error.code === 'PGRST303' || error.code === '42501') {
    return new HttpError(401, 'login_required', '请先登录');
  }
  console.error(`rpc ${fn} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

// ====================================================================== refund-start
/**
 * POST with a staff token (财务 / 超级管理员; the database checks the role), one of
 *   {order_no, line_nos?: number[] | null, reason}   订单 → 退款 (null / absent lines: every open line)
 *   {request_id}                                     退款售后 → 同意 (a member's request)
 *   {retry: out_refund_no}                           退款售后 → 重试 / 重新发起
 * → {refund: <the refund after WeChat's answer>}. A WeChat error or time-out is not a failure
 * of this call: the refund is recorded, shows the error and what to do, and is retried.
 */
export const handleRefundStart: Handler = postJson(async (body, req) => {
  const pay = payConfigOr503();
  const cfg = readConfig();
  const staff = userClient(cfg, bearerToken(req));
  const keys = Object.keys(body).sort().join(',');
  let fn: string;
  let args: Record<string, unknown>;
  if ((keys === 'line_nos,order_no,reason' || keys === 'order_no,reason') && typeof body.order_no === 'string' &&
    typeof body.reason === 'string' &&
    (body.line_nos === undefined || body.line_nos === null ||
      (Array.isArray(body.line_nos) && body.line_nos.length > 0 && body.line_nos.length <= 50 && body.line_nos.every(isId)))) {
    fn = 'console_start_refund';
    args = { p_order_no: body.order_no, p_line_nos: body.line_nos ?? null, p_reason: body.reason };
  } else if (keys === 'request_id' && isId(body.request_id)) {
    fn = 'console_approve_refund_request';
    args = { p_request_id: body.request_id };
  } else if (keys === 'retry' && typeof body.retry === 'string' && body.retry.length <= 64) {
    fn = 'console_retry_refund';
    args = { p_out_refund_no: body.retry };
  } else {
    throw new HttpError(400, 'invalid_refund', '退款参数无效');
  }
  const { data, error } = await staff.rpc(fn, args);
  if (error) throw dbRefusal(fn, error);
  const refund = await syncRefund(pay, serviceClient(cfg), data as RefundView);
  console.log(`refund-start ${refund.out_refund_no}: ${refund.status}${refund.last_error ? ` (${refund.last_error})` : ''}`);
  return { refund };
});

// ====================================================================== refund-query (job)
/** The scheduled job: every due open refund sent again (created) or queried; counts by outcome. */
export const handleRefundQuery: Handler = async (req) => {
  if (req.method !== 'POST') return json(405, { code: 'method_not_allowed', message: '请求方式不支持' });
  try {
    const cfg = readConfig();
    await requireServiceRole(req, cfg);
    const pay = payConfigOr503();
    const db = serviceClient(cfg);
    const { data, error } = await db.rpc('wechat_refunds_due', { p_limit: 100 });
    if (error) throw dbRefusal('wechat_refunds_due', error);
    const counts: Record<string, number> = { due: 0 };
    for (const v of (data ?? []) as RefundView[]) {
      counts.due++;
      try {
        const after = await syncRefund(pay, db, v);
        const key = after.status === v.status && after.last_error ? 'errors' : after.status;
        counts[key] = (counts[key] ?? 0) + 1;
      } catch (err) {
        console.error(`refund-query ${v.out_refund_no}:`, err);
        counts.errors = (counts.errors ?? 0) + 1;
      }
    }
    return json(200, counts);
  } catch (err) {
    if (err instanceof HttpError) return json(err.status, { code: err.code, message: err.message });
    console.error('refund-query failed:', err);
    return json(500, { code: 'internal_error', message: '服务暂时不可用，请稍后再试' });
  }
};

// ====================================================================== pay-notify: REFUND.*

/**
 * A verified, decrypted refund notification. Ours or not, the database applies it once
 * (record_wechat_refund); null = done (204), else the answer that makes WeChat retry.
 */
export async function applyRefundNotification(
  pay: WechatPayConfig,
  eventId: string,
  eventType: string,
  r: Record<string, unknown>,
): Promise<Response | null> {
  if (r.mchid !== pay.mchId) {
    console.error(`pay-notify ${eventId}: refund of mchid ${r.mchid} is not ours`);
    return notifyFail(400, '商户号不匹配');
  }
  const status = String(r.refund_status ?? '');
  const amount = (r.amount ?? {}) as Record<string, unknown>;
  if (`REFUND.${status}` !== eventType || !WECHAT_STATES.has(status) || status === 'PROCESSING') {
    console.error(`pay-notify ${eventId}: ${eventType} with refund_status ${status}`);
    return notifyFail(400, '通知内容无效');
  }
  const complete = typeof r.out_trade_no === 'string' && typeof r.out_refund_no === 'string' &&
    typeof r.refund_id === 'string' && Number.isSafeInteger(amount.refund) && Number.isSafeInteger(amount.total);
  if (!complete) {
    if (status !== 'SUCCESS') {
      console.log(`pay-notify ${eventId}: ${eventType} without a refund we can name, acknowledged`);
      return null;
    }
    console.error(`pay-notify ${eventId}: unexpected refund`, r.out_trade_no, r.out_refund_no, r.refund_id, amount);
    return notifyFail(400, '通知内容无效');
  }
  const { data, error } = await serviceClient(readConfig()).rpc('record_wechat_refund', {
    p_out_trade_no: r.out_trade_no,
    p_out_refund_no: r.out_refund_no,
    p_status: status,
    p_wechat_refund_id: r.refund_id,
    p_refund_fen: amount.refund,
    p_total_fen: amount.total,
    p_account: typeof r.user_received_account === 'string' ? r.user_received_account.slice(0, 64) : null,
  });
  if (error) return notifyDbFailure('pay-notify', eventId, 'record_wechat_refund', error);
  const d = (data ?? {}) as { status?: string; changed?: boolean; replayed?: boolean };
  console.log(`pay-notify ${eventId}: ${eventType} ${r.out_refund_no} of ${r.out_trade_no} → ${d.status ?? 'applied'}` +
    (d.changed === false || d.replayed ? ' (repeat or stale)' : ''));
  return null;
}

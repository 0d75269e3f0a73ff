// WeChat Pay for orders (WECHAT-NOTES.md §5).
//   pay-order  (member): POST {order_id} or {order_no} → the wx.requestPayment parameters.
//   pay-notify (WeChat): the payment and refund notifications → accept_payment + settle_pending /
//   record_wechat_refund (refund.ts).
// Money never moves here: the engine's RPCs do that, idempotently on WeChat's references.
import { readConfig, readWechatPayConfig, type WechatPayConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { type Handler, HttpError, postJson } from './http.ts';
import { applyRefundNotification } from './refund.ts';
import { type RequestPaymentParams, requestPaymentParams } from './wechatpay.ts';
import { describe, wechatpayCall } from './wechatpay-client.ts';
import { notifyDbFailure, notifyFail, receiveWechatpayNotification } from './wechatpay-notify.ts';

interface DbError {
  message?: string;
  hint?: string | null;
  code?: string;
}

// Database refusals pay-order passes on, with their HTTP status (others: 400).
const REFUSAL_STATUS: Record<string, number> = {
  order_not_found: 404,
  order_already_paid: 409,
  order_not_pending: 409,
  payment_expired: 409,
};

function bearerToken(req: Request): string {
  const m = /^bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!m) throw new HttpError(401, 'login_required', '请先登录');
  return m[1].trim();
}

function dbError(fn: string, error: DbError): HttpError {
  if (error.code === 'P0001' && error.message) {
    return new HttpError(REFUSAL_STATUS[error.message] ?? 400, error.message, error.hint ?? '操作失败');
  }
  // a bad or expired token; or the anon key, which may not call member RPCs at all
  if (error.code === 'PGRST301' || error.code === 'PGRST303' || (fn !== 'prepare_payment' && error.code === '42501')) {
    return new HttpError(401, 'login_required', '请先登录');
  }
  console.error(`rpc ${fn} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

interface PaymentRequest {
  order_id: number;
  order_no: string;
  status: string;
  pay_fen: number;
  openid: string;
  description: string;
  time_expire: string;
}

// ====================================================================== the JSAPI prepay call
interface JsapiOrder {
  description: string;
  outTradeNo: string;
  timeExpire: string;
  totalFen: number;
  openid: string;
}

/** out_trade_no: 6–32 characters from [0-9A-Za-z_-|*], unique per merchant. */
export const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;

type Mapping = [status: number, code: string, message: string];
const MISCONFIGURED: Mapping = [500, 'payment_misconfigured', '支付配置有误，请联系客服'];
const UNAVAILABLE: Mapping = [502, 'payment_unavailable', '支付服务繁忙，请稍后再试'];
const FAILED: Mapping = [502, 'payment_failed', '发起支付失败，请稍后再试'];
const PAY_ERRORS: Record<string, Mapping> = {
  SIGN_ERROR: MISCONFIGURED,
  APPID_MCHID_NOT_MATCH: MISCONFIGURED,
  NO_AUTH: MISCONFIGURED,
  MCH_NOT_EXISTS: MISCONFIGURED,
  ORDERPAID: [409, 'order_already_paid', '订单已支付'],
  ORDER_CLOSED: [409, 'order_not_pending', '订单已关闭，不能支付'],
  OUT_TRADE_NO_USED: [409, 'payment_conflict', '订单支付信息已变更，请重新下单'],
  FREQUENCY_LIMITED: [429, 'rate_limited', '操作太频繁，请稍后再试'],
  SYSTEM_ERROR: UNAVAILABLE,
};

function payError([status, code, message]: Mapping): HttpError {
  return new HttpError(status, code, message);
}

/**
 * POST /v3/pay/transactions/jsapi → prepay_id (valid 2 hours). One attempt: the member is
 * waiting and simply taps again (the same out_trade_no gets a prepay_id again).
 */
async function jsapiPrepay(cfg: WechatPayConfig, order: JsapiOrder): Promise<string> {
  const r = await wechatpayCall(cfg, 'POST', '/v3/pay/transactions/jsapi', {
    appid: cfg.appId,
    mchid: cfg.mchId,
    description: order.description,
    out_trade_no: order.outTradeNo,
    time_expire: order.timeExpire,
    notify_url: cfg.notifyUrl,
    amount: { total: order.totalFen, currency: 'CNY' },
    payer: { openid: order.openid },
  });
  if (r.kind === 'no_answer') {
    console.error(`wechat pay jsapi: ${describe(r)}`);
    throw payError(r.code === 'BAD_SIGNATURE' ? FAILED : UNAVAILABLE);
  }
  if (r.status < 200 || r.status >= 300) {
    console.error(`wechat pay jsapi answered ${r.status}:`, r.code, r.message, r.body.detail ?? '');
    if (r.code in PAY_ERRORS) throw payError(PAY_ERRORS[r.code]);
    // PARAM_ERROR, INVALID_REQUEST, …: what we sent is wrong; nothing the member can fix
    throw payError(r.status >= 500 ? UNAVAILABLE : FAILED);
  }
  const prepayId = r.body.prepay_id;
  if (typeof prepayId !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(prepayId)) {
    console.error('wechat pay jsapi answered without prepay_id');
    throw payError(UNAVAILABLE);
  }
  return prepayId;
}

// ====================================================================== pay-order
/**
 * POST {order_id} (or {order_no}) with the member's token. The member's own token reads the
 * order (my_order: another member's order is not found); the service role then reads what the
 * prepay needs (prepare_payment, which checks the owner again) and WeChat Pay gives a prepay_id.
 */
export const handlePayOrder: Handler = postJson(async (body, req): Promise<RequestPaymentParams> => {
  const { config: pay, missing } = readWechatPayConfig();
  if (missing.length > 0) {
    console.error(`WeChat Pay is not configured: ${missing.join(', ')} not set`);
    throw new HttpError(503, 'payment_unavailable', '支付暂未开通');
  }
  const orderId = body.order_id;
  const orderNoIn = body.order_no;
  const byId = typeof orderId === 'number' && Number.isSafeInteger(orderId) && orderId > 0;
  const byNo = typeof orderNoIn === 'string' && /^[0-9A-Za-z_-]{1,32}$/.test(orderNoIn);
  if (!byId && !(orderId === undefined && byNo)) throw new HttpError(400, 'invalid_order', '订单编号无效');

  const cfg = readConfig();
  const member = userClient(cfg, bearerToken(req));
  const me = await member.rpc('me');
  if (me.error) throw dbError('me', me.error);
  const memberId = Array.isArray(me.data) ? (me.data[0] as { id?: unknown } | undefined)?.id : undefined;
  if (typeof memberId !== 'string') throw new HttpError(401, 'login_required', '请先登录');

  let orderNo = orderNoIn as string;
  if (byId) {
    const mine = await member.rpc('my_order', { p_order_id: orderId });
    if (mine.error) throw dbError('my_order', mine.error);
    orderNo = (mine.data as { order_no: string }).order_no;
  }

  const prepared = await serviceClient(cfg).rpc('prepare_payment', {
    p_order_no: orderNo,
    p_member_id: memberId,
    p_ttl_seconds: pay.orderTtlSeconds,
  });
  if (prepared.error) throw dbError('prepare_payment', prepared.error);
  const p = prepared.data as PaymentRequest;
  if (!OUT_TRADE_NO.test(p.order_no)) {
    console.error(`order number ${p.order_no} cannot be a WeChat out_trade_no`);
    throw new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
  }
  const prepayId = await jsapiPrepay(pay, {
    description: p.description,
    outTradeNo: p.order_no,
    timeExpire: p.time_expire,
    totalFen: p.pay_fen,
    openid: p.openid,
  });
  return requestPaymentParams(pay, prepayId);
});

// ====================================================================== pay-notify
type Outcome = Response | null; // null = applied (or nothing to do): answer success

async function applyTransaction(pay: WechatPayConfig, eventId: string, t: Record<string, unknown>): Promise<Outcome> {
  const amount = (t.amount ?? {}) as Record<string, unknown>;
  if (t.appid !== pay.appId || t.mchid !== pay.mchId) {
    console.error(`pay-notify ${eventId}: transaction of appid ${t.appid} / mchid ${t.mchid} is not ours`);
    return notifyFail(400, '商户号或应用不匹配');
  }
  if (
    t.trade_state !== 'SUCCESS' || typeof t.out_trade_no !== 'string' || typeof t.transaction_id !== 'string' ||
    !Number.isSafeInteger(amount.total) || (amount.currency !== undefined && amount.currency !== 'CNY')
  ) {
    console.error(`pay-notify ${eventId}: unexpected transaction`, t.trade_state, t.out_trade_no, amount);
    return notifyFail(400, '通知内容无效');
  }
  // Batched settlement (docs/engine.md): accept the payment, which also settles it if its queue
  // is free at that moment. If the queue was busy the order waits in the queue's settle inbox
  // (settle_queue_id): settle_pending then settles it with every payment accepted meanwhile.
  // Once accepted, the payment is recorded: if the second call fails, the sweep settles it.
  const db = serviceClient(readConfig());
  const { data, error } = await db.rpc('accept_payment', {
    p_order_no: t.out_trade_no,
    p_payment_ref: t.transaction_id,
    p_paid_fen: amount.total,
  });
  if (error) return notifyDbFailure('pay-notify', eventId, 'accept_payment', error);
  const accepted = (data ?? {}) as {
    replayed?: boolean;
    settle_queue_id?: number | null;
    late_payment?: { out_refund_no?: string; refund_status?: string };
  };
  if (accepted.late_payment) {
    // the order was cancelled before this payment: recorded, refunded in full (refund-query sends it)
    console.warn(`pay-notify ${eventId}: order ${t.out_trade_no} was cancelled; payment ${t.transaction_id} recorded and ` +
      `refunded in full (${accepted.late_payment.out_refund_no}: ${accepted.late_payment.refund_status})` +
      (accepted.replayed ? ' (repeat)' : ''));
    return null;
  }
  if (accepted.settle_queue_id != null) await settleQueue(db, eventId, accepted.settle_queue_id);
  console.log(
    `pay-notify ${eventId}: order ${t.out_trade_no} paid by ${t.transaction_id}${accepted.replayed ? ' (repeat)' : ''}`,
  );
  return null;
}

/** The payment's second step. `retry` means the settler stopped at a lock conflict with the
 *  settler of another queue and gave its locks back; a new call goes on. */
async function settleQueue(db: ReturnType<typeof serviceClient>, eventId: string, queueId: number): Promise<void> {
  for (let attempt = 1; attempt <= SETTLE_ATTEMPTS; attempt++) {
    const { data, error } = await db.rpc('settle_pending', { p_queue_id: queueId });
    if (error) {
      console.error(`pay-notify ${eventId}: settle_pending failed (the sweep retries):`, error);
      return;
    }
    if (!(data as { retry?: boolean } | null)?.retry) return;
  }
  console.warn(`pay-notify ${eventId}: queue ${queueId} still busy after ${SETTLE_ATTEMPTS} tries (the sweep settles it)`);
}
const SETTLE_ATTEMPTS = 5;

/**
 * WeChat Pay's payment and refund notifications: received by receiveWechatpayNotification
 * (wechatpay-notify.ts), applied once here (TRANSACTION.SUCCESS) or in refund.ts (REFUND.*); 204.
 */
export const handlePayNotify: Handler = (req) =>
  receiveWechatpayNotification(req, {
    name: 'pay-notify',
    accepts: (type) => type === 'TRANSACTION.SUCCESS' || type.startsWith('REFUND.'),
  }, ({ pay, id, eventType, resource }) =>
    eventType === 'TRANSACTION.SUCCESS'
      ? applyTransaction(pay, id, resource)
      : applyRefundNotification(pay, id, eventType, resource)); // _shared/refund.ts

// The order-expiry job (SPEC §16, docs/payments.md "Expiry"): pending orders whose payment
// window has passed are first asked about at WeChat Pay (GET …/out-trade-no/{no}): a paid one is
// accepted exactly as pay-notify accepts it (accept_payment, then settle_pending); an unpaid one
// is closed there (POST …/close) and only then cancelled here (cancel_order returns the points
// and love value it deducted), so a late payment can never be lost. A second batch does the same
// for orders already cancelled whose trade may still be open there (the member cancelled with the
// payment sheet open, or a cancel raced the close: trades_to_close): not paid → closed there and
// record_trade_closed; paid → accept_payment records the late payment and refunds it in full
// (refund-query sends the refund). Idempotent and bounded: 100 orders a batch; what fails is left
// for the next run.
import { readConfig, readWechatPayConfig } from './config.ts';
import { serviceClient } from './db.ts';
import { type Handler, HttpError, json } from './http.ts';
import { requireServiceRole } from './job.ts';
import { RETRY_AT_ONCE, wechatpayCall } from './wechatpay-client.ts';

interface Candidate {
  order_no: string;
  pay_fen: number;
  prepaid: boolean;
}

type Db = ReturnType<typeof serviceClient>;
type Outcome = 'paid' | 'cancelled' | 'waiting' | 'skipped' | 'errors' | 'closed' | 'late_paid';

const NOT_THERE = new Set(['ORDER_NOT_EXIST', 'ORDERNOTEXIST', 'RESOURCE_NOT_EXISTS']);

async function cancel(db: Db, orderNo: string): Promise<Outcome> {
  const { error } = await db.rpc('cancel_order', { p_order_no: orderNo });
  if (!error) return 'cancelled';
  if (error.message === 'order_not_cancellable') return 'skipped'; // paid meanwhile
  console.error(`order-expiry ${orderNo}: cancel_order failed:`, error);
  return 'errors';
}

/** WeChat's trade is closed (or unknown there): a pending order is cancelled, a cancelled one is done. */
async function tradeClosed(db: Db, orderNo: string, wasCancelled: boolean): Promise<Outcome> {
  const { error } = await db.rpc('record_trade_closed', { p_order_no: orderNo });
  if (!error) return wasCancelled ? 'closed' : 'cancelled';
  if (error.message === 'order_not_cancellable') return 'skipped'; // paid meanwhile
  console.error(`order-expiry ${orderNo}: record_trade_closed failed:`, error);
  return 'errors';
}

/** The same two steps as pay-notify's TRANSACTION.SUCCESS (a cancelled order's: a late payment). */
async function accept(db: Db, orderNo: string, t: Record<string, unknown>): Promise<Outcome> {
  const amount = (t.amount ?? {}) as Record<string, unknown>;
  const { data, error } = await db.rpc('accept_payment', {
    p_order_no: orderNo,
    p_payment_ref: t.transaction_id,
    p_paid_fen: amount.total,
  });
  if (error) {
    console.error(`order-expiry ${orderNo}: accept_payment refused:`, error);
    return 'errors';
  }
  const late = (data as { late_payment?: { out_refund_no?: string } } | null)?.late_payment;
  if (late) {
    console.log(`order-expiry ${orderNo}: paid by ${t.transaction_id} after it was cancelled: refunded in full (${late.out_refund_no})`);
    return 'late_paid';
  }
  const queue = (data as { settle_queue_id?: number | null } | null)?.settle_queue_id;
  for (let i = 0; queue != null && i < 5; i++) {
    const s = await db.rpc('settle_pending', { p_queue_id: queue });
    if (s.error || !(s.data as { retry?: boolean } | null)?.retry) break; // the sweep settles what is left
  }
  console.log(`order-expiry ${orderNo}: paid by ${t.transaction_id} (the notification was lost), accepted`);
  return 'paid';
}

async function expire(db: Db, pay: ReturnType<typeof readWechatPayConfig>['config'], c: Candidate, cancelled = false): Promise<Outcome> {
  if (!c.prepaid) return cancel(db, c.order_no); // never sent to WeChat Pay: nothing there to pay
  const no = encodeURIComponent(c.order_no);
  const q = await wechatpayCall(pay, 'GET', `/v3/pay/transactions/out-trade-no/${no}?mchid=${encodeURIComponent(pay.mchId)}`, undefined, RETRY_AT_ONCE);
  if (q.kind !== 'answer') {
    console.error(`order-expiry ${c.order_no}: query ${q.code} ${q.message}`);
    return 'errors';
  }
  if (q.status === 404 || NOT_THERE.has(q.code)) return tradeClosed(db, c.order_no, cancelled);
  if (q.status !== 200) {
    console.error(`order-expiry ${c.order_no}: query answered ${q.status} ${q.code} ${q.message}`);
    return 'errors';
  }
  const t = q.body;
  if (t.out_trade_no !== c.order_no || (t.mchid !== undefined && t.mchid !== pay.mchId) || (t.appid !== undefined && t.appid !== pay.appId)) {
    console.error(`order-expiry ${c.order_no}: the query answered about another trade`, t.out_trade_no, t.mchid, t.appid);
    return 'errors';
  }
  switch (t.trade_state) {
    case 'SUCCESS':
    case 'REFUND': // paid (and refunded in the merchant platform since): the payment still happened
      return accept(db, c.order_no, t);
    case 'USERPAYING':
      return 'waiting'; // the buyer is entering the password: ask again next run
    case 'CLOSED':
    case 'REVOKED':
      return tradeClosed(db, c.order_no, cancelled);
    default: { // NOTPAY, PAYERROR: close it there first, so it cannot be paid after we cancel
      const closed = await wechatpayCall(pay, 'POST', `/v3/pay/transactions/out-trade-no/${no}/close`, { mchid: pay.mchId }, RETRY_AT_ONCE);
      if (closed.kind === 'answer' && (closed.status === 204 || closed.status === 200 || closed.code === 'ORDER_CLOSED')) {
        return tradeClosed(db, c.order_no, cancelled);
      }
      if (closed.kind === 'answer' && closed.code === 'ORDERPAID') return 'waiting'; // paid just now: next run accepts it
      console.error(`order-expiry ${c.order_no}: close ${closed.code} ${closed.message}`);
      return 'errors';
    }
  }
}

/**
 * POST by the schedule (service role) → {due, paid, cancelled, waiting, skipped, errors, closed, late_paid}:
 * `due` counts both batches; `closed` = a cancelled order's trade closed there, `late_paid` = a
 * cancelled order found paid (recorded and refunded in full).
 */
export const handleOrderExpiry: Handler = async (req) => {
  if (req.method !== 'POST') return json(405, { code: 'method_not_allowed', message: '请求方式不支持' });
  try {
    const cfg = readConfig();
    await requireServiceRole(req, cfg);
    const { config: pay, missing } = readWechatPayConfig();
    const payReady = missing.filter((m) => m !== 'WECHATPAY_NOTIFY_URL').length === 0;
    const db = serviceClient(cfg);
    const { data, error } = await db.rpc('expired_pending_orders', { p_limit: 100 });
    if (error) {
      console.error('order-expiry: expired_pending_orders failed:', error);
      throw new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
    }
    const counts: Record<string, number> = { due: 0, paid: 0, cancelled: 0, waiting: 0, skipped: 0, errors: 0, closed: 0, late_paid: 0 };
    const toClose = await db.rpc('trades_to_close', { p_limit: 100 });
    if (toClose.error) {
      console.error('order-expiry: trades_to_close failed:', toClose.error);
      throw new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
    }
    for (const c of (toClose.data ?? []) as Candidate[]) {
      counts.due++;
      if (!payReady) {
        counts.skipped++;
        continue;
      }
      try {
        counts[await expire(db, pay, { ...c, prepaid: true }, true)]++;
      } catch (err) {
        console.error(`order-expiry ${c.order_no}:`, err);
        counts.errors++;
      }
    }
    for (const c of (data ?? []) as Candidate[]) {
      counts.due++;
      if (c.prepaid && !payReady) {
        counts.skipped++; // cannot ask WeChat Pay: never cancel what may have been paid
        continue;
      }
      try {
        counts[await expire(db, pay, c)]++;
      } catch (err) {
        console.error(`order-expiry ${c.order_no}:`, err);
        counts.errors++;
      }
    }
    if (!payReady && counts.skipped > 0) console.error(`order-expiry: WeChat Pay is not configured (${missing.join(', ')})`);
    return json(200, counts);
  } catch (err) {
    if (err instanceof HttpError) return json(err.status, { code: err.code, message: err.message });
    console.error('order-expiry failed:', err);
    return json(500, { code: 'internal_error', message: '服务暂时不可用，请稍后再试' });
  }
};

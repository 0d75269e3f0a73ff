// Local development only (REBATE_LOCAL_DEV=1): simulates WeChat Pay's notification for the
// H5 demo. The member's own token reads the order (so nobody can pay another member's order
// through it), then the service role marks it paid exactly as the payment notification does,
// with a payment reference derived from the order number (a repeat is idempotent).
import { readConfig } from './config.ts';
import { serviceClient, userClient } from './db.ts';
import { type Handler, HttpError, json, postJson } from './http.ts';

interface OrderView {
  order_no: string;
  status: string;
  pay_fen: number;
}

function bearerToken(req: Request): string {
  const m = /^bearer\s+(.+)$/i.exec(req.headers.get('authorization') ?? '');
  if (!m) throw new HttpError(401, 'login_required', '请先登录');
  return m[1].trim();
}

/**
 * Passes a database refusal (stable code + Chinese hint) through to the client. A bad or
 * expired token, or a caller the member RPC refuses (the anon key: 42501), is 401 as in the
 * other functions; the service role's calls (mark_order_paid, complete_order) never are.
 */
function dbError(fn: string, error: { message?: string; hint?: string | null; code?: string }): HttpError {
  if (error.code === 'P0001' && error.message) return new HttpError(400, error.message, error.hint ?? '操作失败');
  if (error.code === 'PGRST301' || error.code === 'PGRST303' || (fn === 'my_order' && error.code === '42501')) {
    return new HttpError(401, 'login_required', '请先登录');
  }
  console.error(`dev-pay rpc ${fn} failed:`, error);
  return new HttpError(500, 'internal_error', '服务暂时不可用，请稍后再试');
}

const devPay = postJson(async (body, req) => {
  const orderId = body.order_id;
  if (typeof orderId !== 'number' || !Number.isSafeInteger(orderId) || orderId <= 0) {
    throw new HttpError(400, 'invalid_order', '订单编号无效');
  }
  const cfg = readConfig();
  const mine = await userClient(cfg, bearerToken(req)).rpc('my_order', { p_order_id: orderId });
  if (mine.error) throw dbError('my_order', mine.error);
  const order = mine.data as OrderView;
  const service = serviceClient(cfg);
  if (order.status === 'pending') {
    const paid = await service.rpc('mark_order_paid', {
      p_order_no: order.order_no,
      p_payment_ref: `DEV-${order.order_no}`,
      p_paid_fen: order.pay_fen,
    });
    if (paid.error) throw dbError('mark_order_paid', paid.error);
  }
  if (body.complete === true) {
    const done = await service.rpc('complete_order', { p_order_no: order.order_no });
    if (done.error) throw dbError('complete_order', done.error);
  }
  const after = await userClient(cfg, bearerToken(req)).rpc('my_order', { p_order_id: orderId });
  if (after.error) throw dbError('my_order', after.error);
  return after.data;
});

/** POST {order_id, complete?} with the member's token. 404 unless REBATE_LOCAL_DEV=1. */
export const handleDevPay: Handler = (req) => {
  if (!readConfig().localDev) return Promise.resolve(json(404, { code: 'not_found', message: '接口不存在' }));
  return devPay(req);
};

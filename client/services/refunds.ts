import { rpc, type Composite, type Filled, type Refine, type RpcArgs } from './api'

/**
 * 申请退款 (06_orders.sql): the refund quote of one of my orders (SPEC §10: what its entries
 * already received is kept back), a request for chosen lines with a reason, my requests and
 * their states, withdrawing a pending one. The platform approves and refunds.
 */

export type RefundRequestStatus = 'pending' | 'approved' | 'rejected' | 'cancelled'

/** One row of public.refund_quote(p_order_id) (public.refund_quote_line). */
export type RefundQuoteLine = Filled<Composite<'refund_quote_line'>, 'entry_status' | 'reason'>

/** public.request_refund / my_refund_requests / cancel_refund_request → public.refund_request_details */
export type RefundRequest = Refine<
  Filled<Composite<'refund_request_details'>, 'reject_reason' | 'decided_at'>,
  { status: RefundRequestStatus }
>

/** Reasons offered in one tap (the member may also write their own). */
export const REFUND_REASONS: readonly string[] = ['不想要了', '商品质量问题', '商品与描述不符', '未收到货', '其他']

export function fetchRefundQuote(orderId: number): Promise<RefundQuoteLine[]> {
  return rpc('refund_quote', { p_order_id: orderId }) as Promise<RefundQuoteLine[]>
}

export function requestRefund(orderId: number, lineNos: number[], reason: string): Promise<RefundRequest> {
  return rpc('request_refund', { p_order_id: orderId, p_line_nos: lineNos, p_reason: reason }) as Promise<RefundRequest>
}

export function fetchMyRefundRequests(orderId: number | null, beforeId: number | null = null, limit = 20): Promise<RefundRequest[]> {
  const args: RpcArgs<'my_refund_requests'> = { p_limit: limit }
  if (orderId !== null) args.p_order_id = orderId
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_refund_requests', args) as Promise<RefundRequest[]>
}

export function cancelRefundRequest(requestId: number): Promise<RefundRequest> {
  return rpc('cancel_refund_request', { p_request_id: requestId }) as Promise<RefundRequest>
}

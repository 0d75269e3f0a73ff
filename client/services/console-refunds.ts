import { invokeFunction, rpc, type RpcArgs, type RpcName } from './api'

/**
 * 退款 in the operators' console (supabase/schemas/18_wechat_refunds.sql, docs/payments.md
 * "Refunds"): starting a refund goes through the refund-start edge function (the database
 * records it with the staff member's token and checks 财务 / 超级管理员, then WeChat Pay is
 * asked); lists and rejection are plain RPCs. Money is fen.
 */

function rpcJson<T, F extends RpcName = RpcName>(fn: F, args: RpcArgs<F>): Promise<T> {
  const call = rpc as unknown as (name: F, a: RpcArgs<F>) => Promise<unknown>
  return call(fn, args) as Promise<T>
}

export type WechatRefundStatus = 'created' | 'processing' | 'success' | 'abnormal' | 'closed' | 'failed'

/** A refund through WeChat Pay (rebate.wechat_refund_view). */
export interface ConsoleRefund {
  refund_no: number
  out_refund_no: string
  out_trade_no: string
  order_id: number
  member_code: string
  nickname: string
  line_nos: number[]
  kept_back_fen: number[]
  refund_fen: number
  total_fen: number
  reason: string
  request_id: number | null
  retry_of: number | null
  status: WechatRefundStatus
  status_label: string
  wechat_status: string | null
  last_error: string | null
  attempts: number
  created_at: string
  finished_at: string | null
  retried: boolean
  /** The full refund of a payment that arrived after its order was cancelled (SPEC §16). */
  late_payment?: boolean
  /** 订单退款, or 取消后到账·全额退回 for a late payment. */
  kind_label?: string
  /** What finance should do next (Chinese), or null when nothing. */
  advice: string | null
}

/** A member's refund request as the console lists it. */
export interface ConsoleRefundRequest {
  request_id: number
  order_id: number
  order_no: string
  line_nos: number[]
  reason: string
  status: 'pending' | 'approved' | 'rejected' | 'cancelled'
  status_label: string
  refundable_fen: number
  reject_reason: string | null
  requested_at: string
  member_code: string
  nickname: string
  pay_fen: number
  lines: Array<{ line_no: number; name: string; quantity: number; pay_fen: number }>
  refund: ConsoleRefund | null
}

/** 订单 → 退款: the chosen lines (null: every line not refunded), with a reason. */
export const startRefund = (orderNo: string, lineNos: number[] | null, reason: string): Promise<ConsoleRefund> =>
  invokeFunction<{ refund: ConsoleRefund }>('refund-start', { order_no: orderNo, line_nos: lineNos, reason }).then((r) => r.refund)

/** 退款售后 → 同意: approves a member's request and starts its refund. */
export const approveRefundRequest = (requestId: number): Promise<ConsoleRefund> =>
  invokeFunction<{ refund: ConsoleRefund }>('refund-start', { request_id: requestId }).then((r) => r.refund)

/** 重试 (same out_refund_no) or 重新发起 (a closed or failed refund, new out_refund_no). */
export const retryRefund = (outRefundNo: string): Promise<ConsoleRefund> =>
  invokeFunction<{ refund: ConsoleRefund }>('refund-start', { retry: outRefundNo }).then((r) => r.refund)

export const rejectRefundRequest = (requestId: number, reason: string): Promise<unknown> =>
  rpc('console_reject_refund_request', { p_request_id: requestId, p_reason: reason })

export const listRefunds = (status: string | null, orderNo: string | null, beforeId: number | null, limit = 20): Promise<ConsoleRefund[]> =>
  rpcJson<ConsoleRefund[]>('console_list_refunds', {
    p_status: status ?? undefined, p_order_no: orderNo ?? undefined, p_before_id: beforeId ?? undefined, p_limit: limit,
  })

export const listRefundRequests = (status: string | null, beforeId: number | null, limit = 20): Promise<ConsoleRefundRequest[]> =>
  rpcJson<ConsoleRefundRequest[]>('console_list_refund_requests', { p_status: status ?? undefined, p_before_id: beforeId ?? undefined, p_limit: limit })

import { rpc, type Composite, type Filled, type Refine, type RpcArgs, type RpcRow } from './api'

/**
 * Orders: create (mall, store, cashier), read, cancel; and the entitlement preview
 * (preview_order). Payment is in payment.ts.
 */

export type OrderChannel = 'mall' | 'store' | 'cashier'
export type OrderStatus = 'pending' | 'paid' | 'completed' | 'refunded' | 'cancelled'

/** A delivery address as create_order takes it (rebate.parse_order_delivery). */
export type DeliveryAddress = {
  name: string
  phone: string
  /** province city district */
  region: string
  detail: string
}

/** 确认订单's delivery address and remark (mall and store orders). */
export type Delivery = {
  address?: DeliveryAddress
  remark?: string
}

/** The body of public.create_order(p_order) (and of preview_order(p_order)). */
export type OrderInput =
  | ({ channel: 'mall'; lines: Array<{ product_id: number; quantity: number }>; points_fen?: number; love_fen?: number } & Delivery)
  | ({ channel: 'store'; lines: Array<{ product_id: number; quantity: number }>; store_id?: number; points_fen?: number; love_fen?: number } & Delivery)
  | { channel: 'cashier'; store_id: number; amount_fen: number; points_fen?: number; love_fen?: number }


/** An order line (public.order_line_details). */
export type OrderLine = Filled<
  Composite<'order_line_details'>,
  'product_id' | 'queue_id' | 'no_entry_reason' | 'entry_id' | 'entry_status' | 'reward_bps' | 'reward_rule_label'
>

/** create_order / my_order / cancel_my_order: public.order_details. */
export type Order = Refine<
  Filled<
    Composite<'order_details'>,
    | 'store_id' | 'store_name' | 'paid_at' | 'completed_at' | 'cancelled_at' | 'refunded_at' | 'replayed'
    | 'delivery_name' | 'delivery_phone' | 'delivery_region' | 'delivery_address' | 'remark'
  >,
  { channel: OrderChannel; status: OrderStatus; lines: OrderLine[] }
>

/** One row of public.my_orders(p_status, p_before_id, p_limit). */
export type OrderSummary = Refine<RpcRow<'my_orders'>, {
  channel: OrderChannel
  status: OrderStatus
  store_name: string | null
  entitlement_fen: number | null
  paid_at: string | null
  completed_at: string | null
}>

/** public.preview_order → public.order_preview: what create_order and paying now would give. */
export type OrderPreview = Refine<
  Filled<Composite<'order_preview'>, 'store_id'>,
  { lines: Array<Filled<Composite<'order_preview_line'>, 'product_id' | 'no_entry_reason' | 'reward_bps' | 'reward_rule_code' | 'reward_rule_label'>> }
>

export const CHANNEL_LABELS: Readonly<Record<OrderChannel, string>> = {
  mall: '商城',
  store: '门店',
  cashier: '收银台买单',
}

/** Why a paid line has no entry (order_lines.no_entry_reason), in words. */
export const NO_ENTRY_REASONS: Readonly<Record<string, string>> = {
  plugin_off: '排队返利未开启',
  product_delisted: '商品已下架',
  product_rebate_off: '该商品不参与排队返利',
  store_not_approved: '门店暂未开通',
  store_rebate_off: '该门店不参与排队返利',
  cashier_rebate_off: '该收银台不参与排队返利',
  queue_closed: '队列已关闭',
  deduction_excluded: '使用抵扣的订单不参与排队',
  zero_entitlement: '奖励比例为 0',
  outside_reward_window: '不在奖励时间段内',
  limit_reached: '已达奖励次数上限',
}

export function noEntryReasonText(reason: string | null): string {
  if (!reason) return ''
  return NO_ENTRY_REASONS[reason] ?? '该订单不参与排队返利'
}

export function createOrder(input: OrderInput): Promise<Order> {
  return rpc('create_order', { p_order: input }) as Promise<Order>
}

/** The entitlement an order would earn if paid now (terms are fixed at payment). */
export function previewOrder(input: OrderInput): Promise<OrderPreview> {
  return rpc('preview_order', { p_order: input }) as Promise<OrderPreview>
}

export function fetchMyOrder(orderId: number): Promise<Order> {
  return rpc('my_order', { p_order_id: orderId }) as Promise<Order>
}

/** A status, or 'after_sales' (退款售后: refunded in part or in full, or with a refund request). */
export type OrdersFilter = OrderStatus | 'after_sales'

export function fetchMyOrders(status: OrdersFilter | null, beforeId: number | null = null, limit = 20): Promise<OrderSummary[]> {
  const args: RpcArgs<'my_orders'> = { p_limit: limit }
  if (status) args.p_status = status
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_orders', args) as Promise<OrderSummary[]>
}

export function cancelMyOrder(orderId: number): Promise<Order> {
  return rpc('cancel_my_order', { p_order_id: orderId }) as Promise<Order>
}

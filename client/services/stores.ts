import { invokeFunction, rpc, type Composite, type Filled, type Refine, type RpcArgs, type RpcRow } from './api'
import type { InviteQrCode } from './referral'

/** 我的门店 for store owners (12_merchants.sql): the dashboard, the store's orders, the cashier's QR code. */

export type StoreSales = Filled<Composite<'store_sales'>>
export type StoreQueueStat = Filled<Composite<'store_queue_stat'>>

/** One row of public.my_store_dashboards() (public.store_dashboard). */
export type StoreDashboard = Refine<
  Filled<Composite<'store_dashboard'>, 'cashier_code' | 'cashier_scene' | 'cashier_page'>,
  { online: StoreSales; cashier: StoreSales; queues: StoreQueueStat[] }
>

/** One row of public.store_orders(p_store_id, p_status, p_before_id, p_limit). */
export type StoreOrder = Refine<RpcRow<'store_orders'>, { paid_at: string | null; completed_at: string | null; first_item: string | null }>

export function fetchMyStoreDashboards(): Promise<StoreDashboard[]> {
  return rpc('my_store_dashboards') as Promise<StoreDashboard[]>
}

export function fetchStoreOrders(storeId: number, beforeId: number | null = null, limit = 20): Promise<StoreOrder[]> {
  const args: RpcArgs<'store_orders'> = { p_store_id: storeId, p_limit: limit }
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('store_orders', args) as Promise<StoreOrder[]>
}

/** The store's cashier code as an image (edge function invite-qrcode, kind 'cashier'). */
export function fetchCashierQrCode(storeId: number): Promise<Omit<InviteQrCode, 'kind'> & { kind: 'cashier' }> {
  return invokeFunction('invite-qrcode', { kind: 'cashier', store_id: storeId })
}

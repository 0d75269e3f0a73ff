/** Every page's URL in one place (tab pages are opened with switchTab). */
export const TAB = {
  queue: '/pages/index/index',
  mall: '/pages/mall/index',
  member: '/pages/member/index',
} as const

const q = (params: Record<string, string | number>): string =>
  Object.keys(params)
    .map((k) => `${k}=${encodeURIComponent(String(params[k]))}`)
    .join('&')

export const routes = {
  process: (entryId: number): string => `/packages/queue/process/index?${q({ entry_id: entryId })}`,
  sources: (entryId: number): string => `/packages/queue/sources/index?${q({ entry_id: entryId })}`,
  lottery: (entryId: number): string => `/packages/queue/lottery/index?${q({ entry_id: entryId })}`,
  exchange: (entryId: number): string => `/packages/queue/exchange/index?${q({ entry_id: entryId })}`,
  /** the same page for a union entry (工会排队): another id space */
  unionExchange: (entryId: number): string => `/packages/queue/exchange/index?${q({ union_entry_id: entryId })}`,
  product: (productId: number, storeId: number | null = null): string =>
    `/packages/shop/detail/index?${q(storeId === null ? { id: productId } : { id: productId, store_id: storeId })}`,
  checkout: (productId: number, quantity: number, storeId: number | null = null): string =>
    `/packages/shop/checkout/index?${q(storeId === null ? { product_id: productId, quantity } : { product_id: productId, quantity, store_id: storeId })}`,
  stores: (): string => '/packages/shop/stores/index',
  store: (storeId: number): string => `/packages/shop/store/index?${q({ id: storeId })}`,
  orders: (): string => '/packages/shop/orders/index',
  refund: (orderId: number): string => `/packages/shop/refund/index?${q({ order_id: orderId })}`,
  order: (orderId: number, justPaid = false): string =>
    `/packages/shop/order/index?${q(justPaid ? { id: orderId, paid: 1 } : { id: orderId })}`,
  cashier: (scene?: string): string => (scene ? `/packages/cashier/index?${q({ scene })}` : '/packages/cashier/index'),
  wallet: (): string => '/packages/wallet/index',
  transfer: (): string => '/packages/wallet/transfer/index',
  withdraw: (asset: 'cash' | 'commission' = 'cash'): string => `/packages/wallet/withdraw/index?${q({ asset })}`,
  invite: (): string => '/packages/invite/index',
  poster: (kind: 'member' | 'merchant' = 'member'): string => `/packages/invite/poster/index?${q({ kind })}`,
  team: (tab: 'direct' | 'indirect' | 'rewards' | 'merchants' = 'direct'): string => `/packages/invite/team/index?${q({ tab })}`,
  join: (scene: string): string => `/packages/invite/join/index?${q({ scene })}`,
  messages: (): string => '/packages/messages/index',
  unionPool: (): string => '/packages/union/pool/index',
  myStore: (): string => '/packages/store/mine/index',
  consoleLogin: (ticket?: string): string => (ticket ? `/packages/console-login/index?${q({ ticket })}` : '/packages/console-login/index'),
}

/** A positive integer id from a page query value, or null. */
export function idParam(value: string | undefined): number | null {
  if (!value || !/^\d{1,15}$/.test(value)) return null
  const id = Number(value)
  return id > 0 ? id : null
}

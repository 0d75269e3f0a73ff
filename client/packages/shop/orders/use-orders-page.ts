import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { routes } from '@/lib/routes'
import { fetchMyOrders, type OrderSummary } from '@/services/orders'

const PAGE = 20

export interface OrdersPage extends SignedInLoad<Paged<OrderSummary>> {
  loadMore: () => Promise<void>
  open: (order: OrderSummary) => void
}

/** 我的订单: every channel, newest first, paged. */
export function useOrdersPage(): OrdersPage {
  const load = useCallback(async () => firstPage(await fetchMyOrders(null, null, PAGE), PAGE), [])
  const page = useSignedInLoad(load)
  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<OrderSummary>(
    () => (stateRef.current.kind === 'ready' ? stateRef.current.data : null),
    (change) => page.update(change),
    (last) => fetchMyOrders(null, last.order_id, PAGE),
    PAGE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())
  return { ...page, loadMore, open: (order) => void Taro.navigateTo({ url: routes.order(order.order_id) }) }
}

import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { routes } from '@/lib/routes'
import { fetchMyOrders, type OrdersFilter, type OrderStatus, type OrderSummary } from '@/services/orders'

const PAGE = 20

/** The status tabs: 全部 / 待支付 / 已支付 / 已完成 / 退款售后. */
export type OrdersTab = 'all' | Extract<OrderStatus, 'pending' | 'paid' | 'completed'> | 'after_sales'

export const ORDER_TABS: ReadonlyArray<{ value: OrdersTab; label: string }> = [
  { value: 'all', label: '全部' },
  { value: 'pending', label: '待支付' },
  { value: 'paid', label: '已支付' },
  { value: 'completed', label: '已完成' },
  { value: 'after_sales', label: '退款售后' },
]

const statusOf = (tab: OrdersTab): OrdersFilter | null => (tab === 'all' ? null : tab)

export interface OrdersPage extends SignedInLoad<Paged<OrderSummary>> {
  tab: OrdersTab
  setTab: (tab: OrdersTab) => void
  loadMore: () => Promise<void>
  open: (order: OrderSummary) => void
}

/** 我的订单: every channel, newest first, paged, by status tab (?tab=). */
export function useOrdersPage(): OrdersPage {
  const initial = (Taro.getCurrentInstance().router?.params.tab ?? 'all') as OrdersTab
  const [tab, setTabState] = useState<OrdersTab>(ORDER_TABS.some((t) => t.value === initial) ? initial : 'all')
  const tabRef = useRef(tab)
  tabRef.current = tab
  const load = useCallback(async () => firstPage(await fetchMyOrders(statusOf(tabRef.current), null, PAGE), PAGE), [])
  const page = useSignedInLoad(load)
  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<OrderSummary>(
    () => (stateRef.current.kind === 'ready' ? stateRef.current.data : null),
    (change) => page.update(change),
    (last) => fetchMyOrders(statusOf(tabRef.current), last.order_id, PAGE),
    PAGE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())
  const setTab = (next: OrdersTab): void => {
    if (next === tabRef.current) return
    tabRef.current = next
    setTabState(next)
    void page.reload(true)
  }
  return { ...page, tab, setTab, loadMore, open: (order) => void Taro.navigateTo({ url: routes.order(order.order_id) }) }
}

import { Text, View } from '@tarojs/components'
import LoadMore from '@/components/LoadMore'
import { Tabs } from '@/components/nut/tabs'
import { Tag } from '@/components/nut/tag'
import PageState, { EmptyState } from '@/components/PageState'
import type { Paged } from '@/hooks/use-paged'
import { formatFen } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { CHANNEL_LABELS, type OrderSummary } from '@/services/orders'
import { ORDER_TABS, useOrdersPage, type OrdersPage, type OrdersTab } from './use-orders-page'
import './index.scss'

const STATUS_TAG: Record<string, 'primary' | 'success' | 'warning' | 'default' | 'danger'> = {
  pending: 'warning',
  paid: 'primary',
  completed: 'success',
  refunded: 'danger',
  cancelled: 'default',
}

/** 我的订单 */
export default function OrdersPageView() {
  const page = useOrdersPage()
  return (
    <View className='orders-page' data-testid='orders-page'>
      <Tabs value={page.tab} onChange={(v) => page.setTab(v as OrdersTab)}>
        {ORDER_TABS.map((t) => (
          <Tabs.TabPane key={t.value} title={t.label} value={t.value} />
        ))}
      </Tabs>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(list) => <Orders page={page} list={list} />}
      </PageState>
    </View>
  )
}

function Orders({ page, list }: { page: OrdersPage; list: Paged<OrderSummary> }) {
  if (list.items.length === 0) {
    return page.tab === 'all' ? (
      <EmptyState title='还没有订单' description='在商城下单或到门店买单后，订单会显示在这里' />
    ) : (
      <EmptyState title='暂无此类订单' />
    )
  }
  return (
    <View className='orders-page__list' data-testid='order-list'>
      {list.items.map((order) => (
        <View key={order.order_id} className='orders-page__card' data-testid='order-card' onClick={() => page.open(order)}>
          <View className='orders-page__row'>
            <Text className='orders-page__channel'>
              {CHANNEL_LABELS[order.channel]}
              {order.store_name ? ` · ${order.store_name}` : ''}
            </Text>
            <Tag type={STATUS_TAG[order.status] ?? 'default'}>
              <Text data-testid='order-status'>{order.status_label}</Text>
            </Tag>
          </View>
          <Text className='orders-page__item'>
            {order.first_item}
            {order.item_count > 1 ? ` 等 ${order.item_count} 件` : ''}
          </Text>
          <View className='orders-page__row'>
            <Text className='orders-page__small'>{formatDateTime(order.created_at)}</Text>
            <Text className='orders-page__amount' data-testid='order-pay'>
              实付 {formatFen(order.pay_fen)}
            </Text>
          </View>
          {order.entitlement_fen !== null && Number(order.entitlement_fen) > 0 && (
            <Text className='orders-page__accent'>待返权益 {formatFen(order.entitlement_fen)}</Text>
          )}
        </View>
      ))}
      <LoadMore list={list} onMore={() => void page.loadMore()} />
    </View>
  )
}

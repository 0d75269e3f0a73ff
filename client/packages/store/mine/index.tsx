import { Image, Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import LoadMore from '@/components/LoadMore'
import { Button } from '@/components/nut/button'
import PageState, { EmptyState } from '@/components/PageState'
import { formatFen } from '@/lib/money'
import { routes } from '@/lib/routes'
import { formatDateTime } from '@/lib/time'
import { CHANNEL_LABELS, type OrderChannel } from '@/services/orders'
import type { StoreSales } from '@/services/stores'
import { useMyStorePage, type MyStoreData, type MyStorePage } from './use-my-store-page'
import './index.scss'

/** 我的门店 */
export default function MyStorePageView() {
  const page = useMyStorePage()
  return (
    <View className='store-page' data-testid='my-store-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <MyStore page={page} data={data} />}
      </PageState>
    </View>
  )
}

function MyStore({ page, data }: { page: MyStorePage; data: MyStoreData }) {
  const s = data.store
  if (!s) return <EmptyState title='你还没有门店' description='通过招商码提交入驻申请，审核通过后即可在这里管理门店' />
  return (
    <View>
      <View className='store-page__head'>
        <Text className='store-page__name' data-testid='store-name'>{s.name}</Text>
        <Text className={`store-page__status store-page__status--${s.status}`} data-testid='store-status'>
          {s.status_label}
        </Text>
      </View>

      <View className='store-page__card'>
        <Text className='store-page__label'>收银台码</Text>
        {s.cashier_code ? (
          <>
            <Text className='store-page__muted'>顾客扫码即可向本店买单，保存后可打印张贴</Text>
            {page.qr.kind === 'ready' ? (
              <>
                <Image className='store-page__qr' data-testid='cashier-qr' mode='aspectFit' src={`data:${page.qr.mime};base64,${page.qr.base64}`} />
                <Button type='primary' block data-testid='save-cashier-qr' onClick={() => void page.saveQr()}>
                  保存到相册
                </Button>
              </>
            ) : (
              <Button type='primary' fill='outline' block loading={page.qr.kind === 'loading'} data-testid='show-cashier-qr' onClick={() => void page.showQr()}>
                显示收银台码
              </Button>
            )}
            {page.qr.kind === 'failed' && <Text className='store-page__error'>{page.qr.message}</Text>}
          </>
        ) : (
          <Text className='store-page__muted'>本店暂未开通收银台</Text>
        )}
      </View>

      <View className='store-page__card' data-testid='store-sales'>
        <Text className='store-page__label'>经营数据（实收，已扣退款）</Text>
        <View className='store-page__grid'>
          <Text />
          <Text className='store-page__muted'>今日</Text>
          <Text className='store-page__muted'>近 30 天</Text>
          <SalesRow label='线上订单' sales={s.online} testId='sales-online' />
          <SalesRow label='收银台买单' sales={s.cashier} testId='sales-cashier' />
        </View>
      </View>

      <View className='store-page__card' data-testid='store-queues'>
        <Text className='store-page__label'>本店队列</Text>
        {s.queues.length === 0 ? (
          <Text className='store-page__muted'>本店使用平台共享队列，暂无独立队列</Text>
        ) : (
          s.queues.map((q) => (
            <View key={q.queue_id} className='store-page__queue' data-testid='store-queue'>
              <Text>
                {q.name}
                {q.open ? '' : '（已关闭）'}
              </Text>
              <Text className='store-page__muted'>
                排队中 {String(q.waiting_count)} 个 · 待返 {formatFen(q.waiting_remaining_fen)} · 已返 {formatFen(q.total_distributed_fen)}
              </Text>
            </View>
          ))
        )}
      </View>

      {data.recruit && (
        <View className='store-page__card' data-testid='store-recruit'>
          <Text className='store-page__label'>招商奖励</Text>
          <Text className='store-page__muted'>你推荐入驻的商家在门店和收银台的销售，按比例给你的奖励（已扣退款）</Text>
          <View className='store-page__queue'>
            <Text className='store-page__amount' data-testid='store-recruit-total'>{formatFen(data.recruit.rewardFen)}</Text>
          </View>
          <Button type='primary' fill='outline' block data-testid='store-recruit-link' onClick={() => void Taro.navigateTo({ url: routes.team('merchants') })}>
            查看招商商家
          </Button>
        </View>
      )}

      <Text className='store-page__title'>门店订单</Text>
      {data.orders.items.length === 0 ? (
        <EmptyState title='暂无订单' />
      ) : (
        <View className='store-page__list' data-testid='store-orders'>
          {data.orders.items.map((o) => (
            <View key={o.order_id} className='store-page__order' data-testid='store-order'>
              <View className='store-page__grow'>
                <Text>
                  {o.channel === 'cashier'
                    ? CHANNEL_LABELS.cashier
                    : `${CHANNEL_LABELS[o.channel as OrderChannel] ?? ''}订单 · ${o.first_item ?? ''}${o.item_count > 1 ? ` 等 ${o.item_count} 件` : ''}`}
                </Text>
                <Text className='store-page__muted'>
                  {o.buyer_nickname_masked} · {formatDateTime(o.paid_at ?? o.created_at)}
                </Text>
              </View>
              <View className='store-page__right'>
                <Text className='store-page__amount'>{formatFen(o.pay_fen)}</Text>
                <Text className='store-page__muted'>{o.status_label}</Text>
              </View>
            </View>
          ))}
          <LoadMore list={data.orders} onMore={() => void page.loadMore()} />
        </View>
      )}
    </View>
  )
}

function SalesRow({ label, sales, testId }: { label: string; sales: StoreSales; testId: string }) {
  return (
    <>
      <Text>{label}</Text>
      <Text data-testid={`${testId}-today`}>
        {String(sales.today_count)} 单 {formatFen(sales.today_fen)}
      </Text>
      <Text data-testid={`${testId}-30d`}>
        {String(sales.d30_count)} 单 {formatFen(sales.d30_fen)}
      </Text>
    </>
  )
}

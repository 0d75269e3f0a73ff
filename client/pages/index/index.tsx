import { Text, View } from '@tarojs/components'
import Taro from '@tarojs/taro'
import { useEffect } from 'react'
import EntryCard from '@/components/EntryCard'
import UnionEntryCard from '@/components/UnionEntryCard'
import type { UnionEntry } from '@/services/union'
import { CartIcon, MessageIcon, OrderIcon, ScanIcon, ShareIcon, WalletIcon } from '@/components/Icon'
import ListSkeleton from '@/components/ListSkeleton'
import LoadMore from '@/components/LoadMore'
import { Badge } from '@/components/nut/badge'
import { Grid } from '@/components/nut/grid'
import { Tabs } from '@/components/nut/tabs'
import PageState, { EmptyState, ErrorState } from '@/components/PageState'
import { Button } from '@/components/nut/button'
import { TAB, routes } from '@/lib/routes'
import { ENTRY_STATUSES, type EntryStatus } from '@/services/queue'
import { askSubscribe, canSubscribe, prefetchSubscribe } from '@/services/subscribe'
import { useQueuePage, type QueueData, type QueuePage } from './use-queue-page'
import './index.scss'

/** 队列进度 (the home, named by the 自定义名称 setting): my queue entries by status. */
export default function Index() {
  const page = useQueuePage()
  useEffect(() => { void prefetchSubscribe('queue') }, [])
  return (
    <View className='queue-page' data-testid='queue-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Ready page={page} data={data} />}
      </PageState>
    </View>
  )
}

const SHORTCUTS = [
  { key: 'mall', text: '商城', Icon: CartIcon, go: () => Taro.switchTab({ url: TAB.mall }) },
  { key: 'cashier', text: '买单', Icon: ScanIcon, go: () => Taro.navigateTo({ url: routes.cashier() }) },
  { key: 'wallet', text: '钱包', Icon: WalletIcon, go: () => Taro.navigateTo({ url: routes.wallet() }) },
  { key: 'orders', text: '订单', Icon: OrderIcon, go: () => Taro.navigateTo({ url: routes.orders() }) },
  { key: 'invite', text: '邀请', Icon: ShareIcon, go: () => Taro.navigateTo({ url: routes.invite() }) },
  { key: 'messages', text: '消息', Icon: MessageIcon, go: () => Taro.navigateTo({ url: routes.messages() }) },
] as const

function Ready({ page, data }: { page: QueuePage; data: QueueData }) {
  const { display } = data
  return (
    <View>
      <View className='queue-page__banner'>
        <Text className='queue-page__title' data-testid='display-name'>
          {display.display_name}
        </Text>
        <Text className='queue-page__subtitle'>
          {display.enabled ? '消费即排队，后续订单按顺序为你返利' : `${display.display_name}活动暂未开启`}
        </Text>
        {canSubscribe() && (
          <Text className='queue-page__subscribe' data-testid='subscribe-queue' onClick={() => void askSubscribe('queue')}>
            开启到账提醒
          </Text>
        )}
      </View>
      <Grid columns={6} className='queue-page__shortcuts'>
        {SHORTCUTS.map(({ key, text, Icon, go }) => (
          <Grid.Item
            key={key}
            text={text}
            data-testid={`shortcut-${key}`}
            onClick={() => void go()}
          >
            {key === 'messages' && data.unread > 0 ? (
              <View data-testid='unread-badge'>
                <Badge value={data.unread} max={99}>
                  <Icon size={22} color='#e4393c' />
                </Badge>
              </View>
            ) : (
              <Icon size={22} color='#e4393c' />
            )}
          </Grid.Item>
        ))}
      </Grid>
      {data.union ? <Union entries={data.union} exchangeName={display.exchange_name} onExchange={page.open.unionExchange} /> : <Classic page={page} data={data} />}
    </View>
  )
}

/** 工会排队 (SPEC §13): my union entries (each may be exchanged while waiting) and the way to the 分红池. */
function Union({ entries, exchangeName, onExchange }: { entries: UnionEntry[]; exchangeName: string; onExchange: (e: UnionEntry) => void }) {
  return (
    <View data-testid='union-section'>
      <View className='queue-page__pool' data-testid='go-pool' onClick={() => void Taro.navigateTo({ url: routes.unionPool() })}>
        <Text>工会排队 · 分红池</Text>
        <Text>查看 ›</Text>
      </View>
      {entries.length === 0 ? (
        <EmptyState title='还没有工会排队名额' description='消费后即加入工会排队，每日分红按顺序返满额度' />
      ) : (
        entries.map((e) => <UnionEntryCard key={e.entry_id} entry={e} exchangeName={exchangeName} onExchange={onExchange} />)
      )}
    </View>
  )
}

function Classic({ page, data }: { page: QueuePage; data: QueueData }) {
  return (
    <View>
      <Tabs value={page.tab} onChange={(value) => page.switchTab(value as EntryStatus)} activeType='line'>
        {ENTRY_STATUSES.map(({ status, label }) => (
          <Tabs.TabPane key={status} title={label} value={status} />
        ))}
      </Tabs>
      <TabBody page={page} data={data} />
    </View>
  )
}

function TabBody({ page, data }: { page: QueuePage; data: QueueData }) {
  const tab = data.tabs[page.tab]
  if (!tab || tab.kind === 'loading') {
    return (
      <View data-testid='tab-loading'>
        <ListSkeleton count={2} />
      </View>
    )
  }
  if (tab.kind === 'error') return <ErrorState message={tab.message} onRetry={page.retryTab} />
  const { list } = tab
  if (list.items.length === 0) {
    const waiting = page.tab === 'waiting'
    return (
      <EmptyState
        title={waiting ? '还没有排队中的名额' : '暂无记录'}
        description={waiting ? '在商城下单或到门店买单，支付后即可加入排队' : undefined}
        action={
          waiting ? (
            <Button type='primary' data-testid='go-mall' onClick={() => void Taro.switchTab({ url: TAB.mall })}>
              去商城逛逛
            </Button>
          ) : undefined
        }
      />
    )
  }
  return (
    <View className='queue-page__list' data-testid='entry-list'>
      {list.items.map((entry) => (
        <EntryCard
          key={entry.entry_id}
          entry={entry}
          display={data.display}
          onDraw={page.open.draw}
          onExchange={page.open.exchange}
          onProcess={page.open.process}
          onSources={page.open.sources}
        />
      ))}
      <LoadMore list={list} onMore={() => void page.loadMore()} />
    </View>
  )
}

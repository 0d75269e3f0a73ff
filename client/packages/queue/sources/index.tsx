import { Text, View } from '@tarojs/components'
import LoadMore from '@/components/LoadMore'
import PageState, { EmptyState } from '@/components/PageState'
import { formatFen } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { useSourcesPage, type SourcesData, type SourcesPage } from './use-sources-page'
import './index.scss'

/** 谁给我返的: each later order's payment into my entry, payer masked. */
export default function SourcesPageView() {
  const page = useSourcesPage()
  return (
    <View className='sources-page' data-testid='sources-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Sources page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Sources({ page, data }: { page: SourcesPage; data: SourcesData }) {
  const { entry, list } = data
  return (
    <View>
      <View className='sources-page__summary'>
        <Text className='sources-page__item'>{entry.item_name}</Text>
        <Text className='sources-page__total' data-testid='sources-received'>
          已返 {formatFen(entry.received_fen)} / {formatFen(entry.entitlement_fen)}
        </Text>
      </View>
      {list.items.length === 0 ? (
        <EmptyState title='还没有人为你返利' description='后续有人下单后，返利会按排队顺序到账' />
      ) : (
        <View className='sources-page__list' data-testid='sources-list'>
          {list.items.map((row) => (
            <View key={row.distribution_id} className='sources-page__row' data-testid='source-row'>
              <View className='sources-page__who'>
                <Text className='sources-page__name' data-testid='source-payer'>
                  {row.payer_nickname ?? '匿名会员'}
                </Text>
                <Text className='sources-page__small'>
                  {row.source_item} · 订单 {row.source_order_no}
                </Text>
                <Text className='sources-page__small'>{formatDateTime(row.created_at)}</Text>
              </View>
              <Text className='sources-page__amount' data-testid='source-amount'>
                +{formatFen(row.amount_fen)}
              </Text>
            </View>
          ))}
          <LoadMore list={list} onMore={() => void page.loadMore()} />
        </View>
      )}
    </View>
  )
}

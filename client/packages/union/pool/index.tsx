import { Text, View } from '@tarojs/components'
import PageState, { EmptyState } from '@/components/PageState'
import { formatFen } from '@/lib/money'
import type { UnionPoolDay } from '@/services/union'
import { usePoolPage } from './use-pool-page'
import './index.scss'

/**
 * 分红池 (工会排队, SPEC §13): yesterday's pool, the carry-over, how many entries exited, and the
 * last 30 days as bars (drawn with Views: the mini-program has no chart library).
 */
export default function PoolPage() {
  const page = usePoolPage()
  return (
    <View className='pool-page' data-testid='pool-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(days) => <PoolBody days={days} />}
      </PageState>
    </View>
  )
}

function PoolBody({ days }: { days: UnionPoolDay[] }) {
  if (days.length === 0) return <EmptyState title='分红池暂无记录' description='每日分红后，这里显示每天的分红池' />
  const last = days[days.length - 1]
  const max = Math.max(1, ...days.map((d) => Number(d.pool_fen)))
  return (
    <View>
      <View className='pool-page__head'>
        <Text className='pool-page__label'>{last.day} 分红池</Text>
        <Text className='pool-page__value' data-testid='pool-yesterday'>{formatFen(last.pool_fen)}</Text>
        <View className='pool-page__figures'>
          <Text data-testid='pool-carry'>结转 {formatFen(last.carry_over_fen)}</Text>
          <Text data-testid='pool-paid'>分红 {formatFen(last.paid_fen)}</Text>
          <Text data-testid='pool-exited'>返满出列 {last.entries_paid} 个</Text>
        </View>
        {last.held && <Text className='pool-page__note'>分红已暂停，分红池全部结转</Text>}
      </View>
      <Text className='pool-page__title'>近 30 天分红池</Text>
      <View className='pool-page__chart' data-testid='pool-chart'>
        {days.map((d) => (
          <View key={d.day} className='pool-page__col' data-testid='pool-bar' data-day={d.day} data-fen={String(d.pool_fen)}>
            <View className='pool-page__bar' style={{ height: `${Math.round((Number(d.pool_fen) / max) * 100)}%` }} />
          </View>
        ))}
      </View>
      <View className='pool-page__axis'>
        <Text>{days[0].day}</Text>
        <Text>{last.day}</Text>
      </View>
    </View>
  )
}

import { Text, View } from '@tarojs/components'
import ListSkeleton from '@/components/ListSkeleton'
import LoadMore from '@/components/LoadMore'
import { Button } from '@/components/nut/button'
import { Tabs } from '@/components/nut/tabs'
import PageState, { EmptyState, ErrorState } from '@/components/PageState'
import { assetAmount, assetDelta } from '@/lib/asset-format'
import { formatFen, formatLove, formatPoints } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { ASSET_LABELS, type LedgerRow } from '@/services/wallet'
import { useWalletPage, type LedgerFilter, type WalletData, type WalletPage } from './use-wallet-page'
import './index.scss'

const FILTERS: ReadonlyArray<{ value: LedgerFilter; label: string }> = [
  { value: 'all', label: '全部' },
  { value: 'cash', label: '返现' },
  { value: 'commission', label: '佣金' },
  { value: 'points', label: '积分' },
  { value: 'love', label: '爱心值' },
]

/** 我的钱包 */
export default function WalletPageView() {
  const page = useWalletPage()
  return (
    <View className='wallet-page' data-testid='wallet-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <WalletBody page={page} data={data} />}
      </PageState>
    </View>
  )
}

function WalletBody({ page, data }: { page: WalletPage; data: WalletData }) {
  const { wallet, ledger } = data
  return (
    <View>
      <View className='wallet-page__head'>
        <Text className='wallet-page__head-label'>返现余额（可提现）</Text>
        <Text className='wallet-page__head-value' data-testid='wallet-cash'>
          {formatFen(wallet.cash_fen)}
        </Text>
      </View>
      <View className='wallet-page__balances'>
        <Balance label='佣金' value={formatFen(wallet.commission_fen)} testId='wallet-commission' />
        <Balance label='积分' value={formatPoints(wallet.points)} testId='wallet-points' />
        <Balance
          label={Number(wallet.love_frozen_fen) > 0 ? `爱心值（冻结 ${formatLove(wallet.love_frozen_fen)}）` : '爱心值'}
          value={formatLove(wallet.love_fen)}
          testId='wallet-love'
        />
      </View>
      <View className='wallet-page__actions'>
        <Button type='primary' className='wallet-page__action' data-testid='open-withdraw' onClick={page.openWithdraw}>
          提现
        </Button>
        <Button type='primary' fill='outline' className='wallet-page__action' data-testid='open-transfer' onClick={page.openTransfer}>
          积分转赠
        </Button>
      </View>
      <Tabs value={page.filter} onChange={(v) => page.setFilter(v as LedgerFilter)}>
        {FILTERS.map((f) => (
          <Tabs.TabPane key={f.value} title={f.label} value={f.value} />
        ))}
      </Tabs>
      {ledger.kind === 'loading' && <ListSkeleton count={3} testId='ledger-loading' />}
      {ledger.kind === 'error' && <ErrorState message={ledger.message} onRetry={() => page.setFilter(page.filter)} />}
      {ledger.kind === 'ready' &&
        (ledger.list.items.length === 0 ? (
          <EmptyState title='暂无明细' />
        ) : (
          <View className='wallet-page__list' data-testid='ledger-list'>
            {ledger.list.items.map((row) => (
              <LedgerItem key={row.id} row={row} />
            ))}
            <LoadMore list={ledger.list} onMore={() => void page.loadMore()} />
          </View>
        ))}
    </View>
  )
}

function Balance({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <View className='wallet-page__balance'>
      <Text className='wallet-page__balance-value' data-testid={testId}>
        {value}
      </Text>
      <Text className='wallet-page__balance-label'>{label}</Text>
    </View>
  )
}

function LedgerItem({ row }: { row: LedgerRow }) {
  return (
    <View className='wallet-page__row' data-testid='ledger-row'>
      <View className='wallet-page__who'>
        <Text className='wallet-page__reason' data-testid='ledger-reason'>
          {row.reason_label}
        </Text>
        <Text className='wallet-page__small'>
          {ASSET_LABELS[row.asset]} · {formatDateTime(row.created_at)}
        </Text>
      </View>
      <View className='wallet-page__right'>
        <Text className={row.delta > 0 ? 'wallet-page__plus' : 'wallet-page__minus'} data-testid='ledger-delta'>
          {assetDelta(row.asset, row.delta)}
        </Text>
        <Text className='wallet-page__small'>余额 {assetAmount(row.asset, row.balance_after)}</Text>
      </View>
    </View>
  )
}

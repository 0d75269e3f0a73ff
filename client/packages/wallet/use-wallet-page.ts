import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { routes } from '@/lib/routes'
import { fetchMyLedger, fetchMyWallet, type Asset, type LedgerRow, type Wallet } from '@/services/wallet'

const PAGE = 20

export type LedgerFilter = Asset | 'all'

export type LedgerState = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; list: Paged<LedgerRow> }

export interface WalletData {
  wallet: Wallet
  ledger: LedgerState
}

export interface WalletPage extends SignedInLoad<WalletData> {
  filter: LedgerFilter
  setFilter: (filter: LedgerFilter) => void
  loadMore: () => Promise<void>
  openTransfer: () => void
  openWithdraw: () => void
}

/** 我的钱包: the four balances and their history (ledger), filtered by asset, paged. */
export function useWalletPage(): WalletPage {
  const [filter, setFilterState] = useState<LedgerFilter>('all')
  const filterRef = useRef<LedgerFilter>('all')
  const asset = (f: LedgerFilter): Asset | null => (f === 'all' ? null : f)

  const load = useCallback(async (): Promise<WalletData> => {
    const [wallet, rows] = await Promise.all([fetchMyWallet(), fetchMyLedger(asset(filterRef.current), null, PAGE)])
    return { wallet, ledger: { kind: 'ready', list: firstPage(rows, PAGE) } }
  }, [])
  const page = useSignedInLoad(load)

  const setFilter = useCallback(
    (next: LedgerFilter): void => {
      filterRef.current = next
      setFilterState(next)
      page.update((d) => ({ ...d, ledger: { kind: 'loading' } }))
      fetchMyLedger(asset(next), null, PAGE).then(
        (rows) => {
          if (filterRef.current === next) page.update((d) => ({ ...d, ledger: { kind: 'ready', list: firstPage(rows, PAGE) } }))
        },
        (error: unknown) => {
          if (filterRef.current === next) page.update((d) => ({ ...d, ledger: { kind: 'error', message: userMessage(error) } }))
        },
      )
    },
    [page],
  )

  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<LedgerRow>(
    () => {
      const s = stateRef.current
      return s.kind === 'ready' && s.data.ledger.kind === 'ready' ? s.data.ledger.list : null
    },
    (change) => page.update((d) => (d.ledger.kind === 'ready' ? { ...d, ledger: { kind: 'ready', list: change(d.ledger.list) } } : d)),
    (last) => fetchMyLedger(asset(filterRef.current), last.id, PAGE),
    PAGE,
  )

  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())

  return { ...page, filter, setFilter, loadMore, openTransfer: () => void Taro.navigateTo({ url: routes.transfer() }),
    openWithdraw: () => void Taro.navigateTo({ url: routes.withdraw() }),
  }
}

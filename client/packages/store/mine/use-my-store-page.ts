import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { saveBase64Image } from '@/services/album'
import { fetchCashierQrCode, fetchMyStoreDashboards, fetchStoreOrders, type StoreDashboard, type StoreOrder } from '@/services/stores'
import { fetchTeamSummary } from '@/services/team'

const PAGE = 20

export type QrState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready'; mime: string; base64: string } | { kind: 'failed'; message: string }

export interface MyStoreData {
  stores: StoreDashboard[]
  /** the store shown (the first one I own) */
  store: StoreDashboard | null
  orders: Paged<StoreOrder>
  /** 招商奖励, when the owner is also a promoter who recruits merchants (or has been paid for it); else null */
  recruit: { rewardFen: number } | null
}

export interface MyStorePage extends SignedInLoad<MyStoreData> {
  qr: QrState
  showQr: () => Promise<void>
  saveQr: () => Promise<void>
  loadMore: () => Promise<void>
}

/** 我的门店: status, cashier QR code, sales by channel, queue statistics, orders page by page. */
export function useMyStorePage(): MyStorePage {
  const load = useCallback(async (): Promise<MyStoreData> => {
    const [stores, summary] = await Promise.all([fetchMyStoreDashboards(), fetchTeamSummary()])
    const store = stores[0] ?? null
    const orders = store ? await fetchStoreOrders(store.store_id, null, PAGE) : []
    const recruiting = Boolean(summary.team_level?.can_recruit_merchants) || summary.rewards.merchant_recruit_fen > 0
    return { stores, store, orders: firstPage(orders, PAGE), recruit: recruiting ? { rewardFen: summary.rewards.merchant_recruit_fen } : null }
  }, [])
  const page = useSignedInLoad(load)
  const [qr, setQr] = useState<QrState>({ kind: 'idle' })

  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<StoreOrder>(
    () => (stateRef.current.kind === 'ready' ? stateRef.current.data.orders : null),
    (change) => page.update((d) => ({ ...d, orders: change(d.orders) })),
    (last) => {
      const s = stateRef.current.kind === 'ready' ? stateRef.current.data.store : null
      return s ? fetchStoreOrders(s.store_id, last.order_id, PAGE) : Promise.resolve([])
    },
    PAGE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())

  const showQr = useCallback(async (): Promise<void> => {
    const s = stateRef.current.kind === 'ready' ? stateRef.current.data.store : null
    if (!s) return
    setQr({ kind: 'loading' })
    try {
      const code = await fetchCashierQrCode(s.store_id)
      setQr({ kind: 'ready', mime: code.mime, base64: code.image_base64 })
    } catch (error) {
      setQr({ kind: 'failed', message: userMessage(error) })
    }
  }, [])

  return {
    ...page,
    qr,
    showQr,
    saveQr: async () => {
      if (qr.kind !== 'ready') return
      try {
        await saveBase64Image(qr.base64, qr.mime, 'cashier-code')
        void Taro.showToast({ title: '已保存到相册', icon: 'success' })
      } catch (error) {
        void Taro.showToast({ title: userMessage(error), icon: 'none' })
      }
    },
    loadMore,
  }
}

import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useInviteShare } from '@/hooks/use-invite-share'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, routes } from '@/lib/routes'
import { countUnread } from '@/services/messages'
import { fetchMyUnionEntries, fetchProgrammeInfo, type UnionEntry } from '@/services/union'
import {
  fetchDisplaySettings,
  fetchMyEntriesWithProgress,
  PAGE_SIZE,
  type DisplaySettings,
  type Entry,
  type EntryStatus,
} from '@/services/queue'

/** One status tab's list. */
export type TabState = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; list: Paged<Entry> }

export interface QueueData {
  display: DisplaySettings
  tabs: Partial<Record<EntryStatus, TabState>>
  unread: number
  /** union mode (SPEC §13): my union entries instead of the classic tabs; null in classic mode */
  union: UnionEntry[] | null
}

export interface QueuePage extends SignedInLoad<QueueData> {
  tab: EntryStatus
  switchTab: (status: EntryStatus) => void
  retryTab: () => void
  loadMore: () => Promise<void>
  open: {
    draw: (entry: Entry) => void
    exchange: (entry: Entry) => void
    process: (entry: Entry) => void
    sources: (entry: Entry) => void
    unionExchange: (entry: UnionEntry) => void
  }
}

/**
 * 队列进度: display settings, my entries of the chosen status (paged), unread messages.
 * Reloads on every show and on pull-down; the list grows at the bottom.
 */
export function useQueuePage(): QueuePage {
  const [tab, setTab] = useState<EntryStatus>('waiting')
  const tabRef = useRef<EntryStatus>('waiting')

  const load = useCallback(async (): Promise<QueueData> => {
    const status = tabRef.current
    const [display, entries, unread, programme] = await Promise.all([
      fetchDisplaySettings(),
      fetchMyEntriesWithProgress(status, null, PAGE_SIZE),
      // The badge is decoration: a failure here must not take the queue page down.
      countUnread().catch((error: unknown) => {
        console.warn('unread count unavailable', error)
        return 0
      }),
      fetchProgrammeInfo(),
    ])
    const union = programme?.programme_mode === 'union' ? await fetchMyUnionEntries() : null
    return { display, tabs: { [status]: { kind: 'ready', list: firstPage(entries, PAGE_SIZE) } }, unread, union }
  }, [])

  const page = useSignedInLoad(load)
  const { state, update } = page

  const title = state.kind === 'ready' ? state.data.display.display_name : null
  useEffect(() => {
    if (title) void Taro.setNavigationBarTitle({ title })
  }, [title])

  // 转发 / 朋友圈 carry my invite; opened from one, the page binds the sharer as referrer
  useInviteShare(
    () => ({ title: `${title ?? '排队返利'}：购物加入返利队列，后续订单按顺序为你返现`, path: TAB.queue }),
    state.kind === 'ready',
  )

  const setTabState = useCallback(
    (status: EntryStatus, tabState: TabState) => update((d) => ({ ...d, tabs: { ...d.tabs, [status]: tabState } })),
    [update],
  )

  const loadTab = useCallback(
    async (status: EntryStatus): Promise<void> => {
      setTabState(status, { kind: 'loading' })
      try {
        const entries = await fetchMyEntriesWithProgress(status, null, PAGE_SIZE)
        setTabState(status, { kind: 'ready', list: firstPage(entries, PAGE_SIZE) })
      } catch (error) {
        setTabState(status, { kind: 'error', message: userMessage(error) })
      }
    },
    [setTabState],
  )

  const switchTab = useCallback(
    (status: EntryStatus): void => {
      tabRef.current = status
      setTab(status)
      const current = state.kind === 'ready' ? state.data.tabs[status] : undefined
      if (!current || current.kind === 'error') void loadTab(status)
    },
    [state, loadTab],
  )

  const stateRef = useRef(state)
  stateRef.current = state
  const loadMore = useLoadMore<Entry>(
    () => {
      const s = stateRef.current
      const t = s.kind === 'ready' ? s.data.tabs[tabRef.current] : undefined
      return t && t.kind === 'ready' ? t.list : null
    },
    (change) =>
      update((d) => {
        const t = d.tabs[tabRef.current]
        if (!t || t.kind !== 'ready') return d
        return { ...d, tabs: { ...d.tabs, [tabRef.current]: { kind: 'ready', list: change(t.list) } } }
      }),
    (last) => fetchMyEntriesWithProgress(tabRef.current, last.entry_id, PAGE_SIZE),
    PAGE_SIZE,
  )

  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => {
    void loadMore()
  })

  const go = (url: string): void => void Taro.navigateTo({ url })
  return {
    ...page,
    tab,
    switchTab,
    retryTab: () => void loadTab(tabRef.current),
    loadMore,
    open: {
      draw: (e) => go(routes.lottery(e.entry_id)),
      exchange: (e) => go(routes.exchange(e.entry_id)),
      process: (e) => go(routes.process(e.entry_id)),
      sources: (e) => go(routes.sources(e.entry_id)),
      unionExchange: (e) => go(routes.unionExchange(Number(e.entry_id))),
    },
  }
}

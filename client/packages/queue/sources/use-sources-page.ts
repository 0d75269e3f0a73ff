import Taro, { usePullDownRefresh, useReachBottom, useRouter } from '@tarojs/taro'
import { useCallback, useRef } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { idParam } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import { fetchEntrySources, fetchMyEntry, PAGE_SIZE, type Entry, type EntrySource } from '@/services/queue'

export interface SourcesData {
  entry: Entry
  list: Paged<EntrySource>
}

export interface SourcesPage extends SignedInLoad<SourcesData> {
  loadMore: () => Promise<void>
}

/** "Who paid me": the payments one of my entries received, newest first, paged. */
export function useSourcesPage(): SourcesPage {
  const entryId = idParam(useRouter().params.entry_id)
  const load = useCallback(async (): Promise<SourcesData> => {
    if (entryId === null) throw new ApiError('entry_not_found', '排队名额不存在', 0)
    const [entry, rows] = await Promise.all([fetchMyEntry(entryId), fetchEntrySources(entryId, null, PAGE_SIZE)])
    return { entry, list: firstPage(rows, PAGE_SIZE) }
  }, [entryId])
  const page = useSignedInLoad(load)
  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<EntrySource>(
    () => (stateRef.current.kind === 'ready' ? stateRef.current.data.list : null),
    (change) => page.update((d) => ({ ...d, list: change(d.list) })),
    (last) => fetchEntrySources(entryId ?? 0, last.distribution_id, PAGE_SIZE),
    PAGE_SIZE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())
  return { ...page, loadMore }
}

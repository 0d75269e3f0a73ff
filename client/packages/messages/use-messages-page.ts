import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useRef } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { messageTarget } from '@/lib/message-view'
import { fetchMyMessages, markMessagesRead, type Message } from '@/services/messages'

const PAGE = 20

export interface MessagesPage extends SignedInLoad<Paged<Message>> {
  loadMore: () => Promise<void>
  open: (message: Message) => void
}

/**
 * 消息通知: my in-app messages, newest first, paged. Opening the list marks the shown
 * messages read (they stay highlighted until the next visit).
 */
export function useMessagesPage(): MessagesPage {
  const load = useCallback(async (): Promise<Paged<Message>> => {
    const rows = await fetchMyMessages(null, PAGE)
    const unread = rows.filter((m) => m.read_at === null).map((m) => m.id)
    if (unread.length > 0) {
      // Marking read is bookkeeping: if it fails the list is still worth showing.
      markMessagesRead(unread).catch((error: unknown) => console.warn('mark read failed', error))
    }
    return firstPage(rows, PAGE)
  }, [])
  const page = useSignedInLoad(load)
  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<Message>(
    () => (stateRef.current.kind === 'ready' ? stateRef.current.data : null),
    (change) => page.update(change),
    async (last) => {
      const rows = await fetchMyMessages(last.id, PAGE)
      const unread = rows.filter((m) => m.read_at === null).map((m) => m.id)
      if (unread.length > 0) markMessagesRead(unread).catch((error: unknown) => console.warn('mark read failed', error))
      return rows
    },
    PAGE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())
  return {
    ...page,
    loadMore,
    open: (message) => {
      const target = messageTarget(message)
      if (target) void Taro.navigateTo({ url: target })
    },
  }
}

import { Text, View } from '@tarojs/components'
import LoadMore from '@/components/LoadMore'
import PageState, { EmptyState } from '@/components/PageState'
import type { Paged } from '@/hooks/use-paged'
import { messageAmountText } from '@/lib/message-view'
import { formatDateTime } from '@/lib/time'
import type { Message } from '@/services/messages'
import { useMessagesPage, type MessagesPage } from './use-messages-page'
import './index.scss'

/** 消息通知 */
export default function MessagesPageView() {
  const page = useMessagesPage()
  return (
    <View className='messages-page' data-testid='messages-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(list) => <Messages page={page} list={list} />}
      </PageState>
    </View>
  )
}

function Messages({ page, list }: { page: MessagesPage; list: Paged<Message> }) {
  if (list.items.length === 0) return <EmptyState title='暂无消息' description='排队、到账、完成等通知会显示在这里' />
  return (
    <View className='messages-page__list' data-testid='message-list'>
      {list.items.map((m) => (
        <View
          key={m.id}
          className={`messages-page__item${m.read_at === null ? ' messages-page__item--unread' : ''}`}
          data-testid='message-item'
          onClick={() => page.open(m)}
        >
          <View className='messages-page__row'>
            <Text className='messages-page__title' data-testid='message-title'>
              {m.read_at === null && <Text className='messages-page__dot'>● </Text>}
              {m.title}
            </Text>
            {messageAmountText(m.kind, m.amount_fen) && (
              <Text className='messages-page__amount' data-testid='message-amount'>
                {messageAmountText(m.kind, m.amount_fen)}
              </Text>
            )}
          </View>
          <Text className='messages-page__body' data-testid='message-body'>
            {m.body}
          </Text>
          <Text className='messages-page__time'>{formatDateTime(m.created_at)}</Text>
        </View>
      ))}
      <LoadMore list={list} onMore={() => void page.loadMore()} />
    </View>
  )
}

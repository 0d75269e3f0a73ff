import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import type { Paged } from '@/hooks/use-paged'
import './index.scss'

/** The foot of a paged list: load more, loading, the end, or a failure with retry. */
export default function LoadMore<T>({ list, onMore }: { list: Paged<T>; onMore: () => void }) {
  if (list.items.length === 0) return null
  return (
    <View className='load-more' data-testid='list-foot'>
      {list.error && <Text className='load-more__error'>{list.error}</Text>}
      {list.hasMore ? (
        <Button size='small' fill='outline' loading={list.loadingMore} data-testid='load-more' onClick={onMore}>
          {list.error ? '重试' : '加载更多'}
        </Button>
      ) : (
        <Text className='load-more__end' data-testid='list-end'>
          没有更多了
        </Text>
      )}
    </View>
  )
}

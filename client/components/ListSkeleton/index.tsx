import { Text, View } from '@tarojs/components'
import { Skeleton } from '@/components/nut/skeleton'
import './index.scss'

/**
 * What a list looks like while it loads: a few grey cards in the shape of the rows to come
 * (NutUI Skeleton), with 加载中… for screen readers and tests. Every page's first load
 * (PageState) and every list that loads on its own (a status tab, the ledger) shows it.
 */
export default function ListSkeleton({ count = 3, testId = 'list-skeleton' }: { count?: number; testId?: string }) {
  return (
    <View className='list-skeleton' data-testid={testId}>
      {Array.from({ length: count }, (_, i) => (
        <View key={i} className='list-skeleton__card'>
          <Skeleton rows={1} width='40%' animated />
          <Skeleton rows={2} animated />
        </View>
      ))}
      <Text className='list-skeleton__hint'>加载中…</Text>
    </View>
  )
}

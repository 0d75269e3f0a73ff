import { Text, View } from '@tarojs/components'
import { useEntryProjection } from './use-entry-projection'
import './EntryEstimate.scss'

interface Props {
  entryId: number
  waiting: boolean
  remainingFen: unknown
  /** data-testid prefix: 'entry' on the card, 'process' on the queue process page */
  testId: string
}

/** 预计完成：a range with its 说明, or 无法估计 with why (docs/projection.md). */
export default function EntryEstimate({ entryId, waiting, remainingFen, testId }: Props) {
  const texts = useEntryProjection(entryId, waiting, remainingFen)
  if (!texts) return null
  return (
    <View className='entry-estimate'>
      <Text data-testid={`${testId}-eta`}>预计完成：{texts.headline}</Text>
      {texts.note && (
        <Text className='entry-estimate__note' data-testid={`${testId}-eta-note`}>
          说明：{texts.note}
        </Text>
      )}
    </View>
  )
}

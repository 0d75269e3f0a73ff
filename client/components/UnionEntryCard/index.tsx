import { Text, View } from '@tarojs/components'
import { formatFen } from '@/lib/money'
import { UNION_STATUS_LABEL, unionEstimateText, type UnionEntry } from '@/services/union'
import './index.scss'

/** One of my union entries (工会排队, SPEC §13.8): quota, received, remaining, place, estimate, accelerations. */
export default function UnionEntryCard({ entry: e }: { entry: UnionEntry }) {
  const eta = unionEstimateText(e)
  return (
    <View className='union-card' data-testid='union-card'>
      <View className='union-card__head'>
        <Text>订单 {e.order_no}</Text>
        <Text data-testid='union-status'>{UNION_STATUS_LABEL[e.status]}</Text>
      </View>
      <View className='union-card__row'>
        <Text data-testid='union-quota'>分红额度 {formatFen(e.quota_fen)}</Text>
        <Text data-testid='union-received'>已返 {formatFen(e.received_fen)}</Text>
        <Text data-testid='union-remaining'>待返 {formatFen(e.remaining_fen)}</Text>
      </View>
      {e.queue_position !== null && (
        <Text className='union-card__line' data-testid='union-position'>
          排第 {e.queue_position} 位，前面还需 {formatFen(e.ahead_fen ?? 0)}
        </Text>
      )}
      {eta && <Text className='union-card__line' data-testid='union-eta'>预计完成：{eta}</Text>}
      {e.accelerations.map((a, i) => (
        <Text key={i} className='union-card__accel' data-testid='union-accel'>
          推广加速 {formatFen(a.amount_fen)}（好友订单 {a.order_no}）
        </Text>
      ))}
    </View>
  )
}

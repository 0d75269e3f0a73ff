import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Progress } from '@/components/nut/progress'
import { Tag } from '@/components/nut/tag'
import { entryView } from '@/lib/entry-view'
import { formatDateTime } from '@/lib/time'
import type { DisplaySettings, Entry } from '@/services/queue'
import EntryEstimate from './EntryEstimate'
import './index.scss'

interface Props {
  entry: Entry
  display: DisplaySettings
  now?: Date
  onDraw?: (entry: Entry) => void
  onExchange?: (entry: Entry) => void
  onProcess?: (entry: Entry) => void
  onSources?: (entry: Entry) => void
}

const STATUS_TAG: Record<string, 'primary' | 'success' | 'warning' | 'default' | 'danger'> = {
  waiting: 'primary',
  completed: 'success',
  exchanged: 'warning',
  cleared: 'default',
  voided: 'danger',
}

/** One of my queue entries: amounts, progress, place in the queue, estimate, and its actions. */
export default function EntryCard({ entry, display, now, onDraw, onExchange, onProcess, onSources }: Props) {
  const view = entryView(entry, now)
  return (
    <View className='entry-card' data-testid='entry-card' data-entry-id={String(entry.entry_id)}>
      <View className='entry-card__head'>
        <Text className='entry-card__item' data-testid='entry-item'>
          {entry.item_name}
        </Text>
        <Tag type={STATUS_TAG[entry.status] ?? 'default'}>
          <Text data-testid='entry-status'>{entry.status_label}</Text>
        </Tag>
      </View>
      <Text className='entry-card__meta'>
        {display.show_process ? `队列 ${entry.queue_id} · ${entry.queue_name} · 编号 ${entry.seq}` : entry.queue_name}
      </Text>

      <View className='entry-card__amounts'>
        <View className='entry-card__amount'>
          <Text className='entry-card__label'>已返</Text>
          <Text className='entry-card__value entry-card__value--accent' data-testid='entry-received'>
            {view.receivedText}
          </Text>
        </View>
        <View className='entry-card__amount'>
          <Text className='entry-card__label'>总权益</Text>
          <Text className='entry-card__value' data-testid='entry-entitlement'>
            {view.entitlementText}
          </Text>
        </View>
        <View className='entry-card__amount'>
          <Text className='entry-card__label'>待返</Text>
          <Text className='entry-card__value' data-testid='entry-remaining'>
            {view.remainingText}
          </Text>
        </View>
      </View>

      <View className='entry-card__progress'>
        <View className='entry-card__bar'>
          <Progress percent={view.percent} strokeWidth='8' color='#e4393c' />
        </View>
        <Text className='entry-card__percent' data-testid='entry-progress-text'>
          {view.percentText}
        </Text>
      </View>

      {view.waiting && (
        <View className='entry-card__queue'>
          {view.positionText && (
            <Text data-testid='entry-position'>
              当前排位：{view.positionText}
            </Text>
          )}
          {view.aheadText && <Text data-testid='entry-ahead'>{view.aheadText}</Text>}
          <EntryEstimate entryId={entry.entry_id} waiting={view.waiting} remainingFen={entry.remaining_fen} testId='entry' />
        </View>
      )}

      <Text className='entry-card__rule' data-testid='entry-ratio'>
        {view.ratioText}
      </Text>
      {view.drawnText && (
        <Text className='entry-card__drawn' data-testid='entry-drawn'>
          {view.drawnText}
        </Text>
      )}
      <Text className='entry-card__time'>
        订单 {entry.order_no} · {formatDateTime(entry.created_at)}
      </Text>

      <View className='entry-card__actions'>
        {view.canDraw && onDraw && (
          <Button size='small' type='primary' data-testid='draw-button' onClick={() => onDraw(entry)}>
            抽奖
          </Button>
        )}
        {view.canExchange && onExchange && (
          <Button size='small' type='warning' fill='outline' data-testid='exchange-button' onClick={() => onExchange(entry)}>
            {display.exchange_name}
          </Button>
        )}
        {display.show_process && onProcess && (
          <Button size='small' fill='outline' data-testid='process-button' onClick={() => onProcess(entry)}>
            队列进程
          </Button>
        )}
        {Number(entry.received_fen) > 0 && onSources && (
          <Button size='small' fill='none' data-testid='sources-button' onClick={() => onSources(entry)}>
            谁给我返的
          </Button>
        )}
      </View>
    </View>
  )
}

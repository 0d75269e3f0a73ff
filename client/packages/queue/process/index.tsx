import { Text, View } from '@tarojs/components'
import { Avatar } from '@/components/nut/avatar'
import { Button } from '@/components/nut/button'
import { Progress } from '@/components/nut/progress'
import { Tag } from '@/components/nut/tag'
import PageState, { EmptyState } from '@/components/PageState'
import EntryEstimate from '@/components/EntryCard/EntryEstimate'
import { entryView } from '@/lib/entry-view'
import { formatFen } from '@/lib/money'
import type { AroundEntry } from '@/services/queue'
import { useProcessPage, type ProcessData, type ProcessPage } from './use-process-page'
import './index.scss'

/** 队列进程: my place in the queue and the entries around mine, member info masked. */
export default function QueueProcessPage() {
  const page = useProcessPage()
  return (
    <View className='process-page' data-testid='process-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Process page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Process({ page, data }: { page: ProcessPage; data: ProcessData }) {
  const { process, display } = data
  if (!process.display.show_process) {
    return <EmptyState title='队列进程暂未开放' description={`${display.display_name}的队列进程当前不对外显示`} />
  }
  const { entry } = process
  const view = entryView({
    ...entry,
    rule_label: entry.rule_label,
    position: process.position,
    ahead_count: process.ahead_count,
    ahead_amount_fen: process.ahead_amount_fen,
    inflow_7d_fen: process.inflow_7d_fen,
    inflow_30d_fen: process.inflow_30d_fen,
    queue_created_at: process.queue_created_at,
  })
  const switches = process.display
  return (
    <View>
      <View className='process-page__summary'>
        <View className='process-page__row'>
          <Text className='process-page__queue' data-testid='process-queue'>
            队列 {process.queue_id} · {process.queue_name}
          </Text>
          <Tag type={view.waiting ? 'primary' : 'default'}>
            <Text data-testid='process-status'>{entry.status_label}</Text>
          </Tag>
        </View>
        <Text className='process-page__meta'>
          我的编号 {entry.seq} · 订单 {entry.order_no}
        </Text>
        <View className='process-page__progress'>
          <View className='process-page__bar'>
            <Progress percent={view.percent} strokeWidth='10' color='#e4393c' />
          </View>
          <Text data-testid='process-percent'>{view.percentText}</Text>
        </View>
        <View className='process-page__figures'>
          <Figure label='已返' value={view.receivedText} testId='process-received' />
          <Figure label='总权益' value={view.entitlementText} testId='process-entitlement' />
          <Figure label='待返' value={view.remainingText} testId='process-remaining' />
        </View>
        {view.waiting && (
          <View className='process-page__place'>
            {view.positionText && <Text data-testid='process-position'>当前排位：{view.positionText}</Text>}
            {view.aheadText && <Text data-testid='process-ahead'>{view.aheadText}</Text>}
            {process.reward_rule === 'completed_queue_order' && process.eligible_ahead_count !== null && (
              <Text data-testid='process-eligible-ahead'>
                其中订单已完成的 {process.eligible_ahead_count} 个名额优先返利
                {process.eligible_ahead_amount_fen !== null ? `（${formatFen(process.eligible_ahead_amount_fen)}）` : ''}
              </Text>
            )}
            <EntryEstimate entryId={entry.entry_id} waiting={view.waiting} remainingFen={entry.remaining_fen} testId='process' />
          </View>
        )}
        <Text className='process-page__rule'>{view.ratioText}</Text>
      </View>

      <View className='process-page__head'>
        <Text className='process-page__head-title'>排队名单</Text>
        <Text className='process-page__head-note'>仅显示我前后的排队名额</Text>
      </View>
      {process.around.length === 0 ? (
        <EmptyState title='暂无可显示的排队名额' />
      ) : (
        <View className='process-page__list' data-testid='around-list'>
          {process.around.map((row) => (
            <AroundRow key={row.seq} row={row} showMember={switches.show_member_info} switches={switches} />
          ))}
        </View>
      )}
      {Number(entry.received_fen) > 0 && (
        <View className='process-page__footer'>
          <Button block fill='outline' data-testid='open-sources' onClick={page.openSources}>
            谁给我返的
          </Button>
        </View>
      )}
    </View>
  )
}

function Figure({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <View className='process-page__figure'>
      <Text className='process-page__figure-value' data-testid={testId}>
        {value}
      </Text>
      <Text className='process-page__figure-label'>{label}</Text>
    </View>
  )
}

interface RowProps {
  row: AroundEntry
  showMember: boolean
  switches: ProcessData['process']['display']
}

function AroundRow({ row, showMember, switches }: RowProps) {
  const name = row.is_mine ? `${row.nickname ?? '我'}（我）` : showMember ? row.nickname ?? '***' : '排队会员'
  return (
    <View className={`process-page__item${row.is_mine ? ' process-page__item--mine' : ''}`} data-testid='around-row' data-mine={row.is_mine ? '1' : '0'}>
      <Text className='process-page__seq'>{row.seq}</Text>
      {(showMember || row.is_mine) && (
        <Avatar size='small' src={row.avatar_url ?? ''} background='#fde2e2' color='#e4393c'>
          {name.slice(0, 1)}
        </Avatar>
      )}
      <View className='process-page__who'>
        <Text className='process-page__name' data-testid='around-name'>
          {name}
        </Text>
        {(switches.show_waiting || row.is_mine) && row.status_label && (
          <Text className='process-page__small'>
            {row.status_label}
            {row.entitlement_fen !== null ? ` · 总权益 ${formatFen(row.entitlement_fen)}` : ''}
          </Text>
        )}
      </View>
      <View className='process-page__amounts'>
        {(switches.show_received || row.is_mine) && row.received_fen !== null && (
          <Text className='process-page__small' data-testid='around-received'>
            已返 {formatFen(row.received_fen)}
          </Text>
        )}
        {(switches.show_waiting_amount || row.is_mine) && row.remaining_fen !== null && (
          <Text className='process-page__small process-page__small--accent' data-testid='around-remaining'>
            待返 {formatFen(row.remaining_fen)}
          </Text>
        )}
      </View>
    </View>
  )
}

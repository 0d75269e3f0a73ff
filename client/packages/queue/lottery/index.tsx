import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import PageState from '@/components/PageState'
import { formatBps, formatFen } from '@/lib/money'
import { useLotteryPage, type LotteryData, type LotteryPage } from './use-lottery-page'
import './index.scss'

/** 抽奖: one draw for a waiting entry whose ratio comes from a lottery rule (SPEC §6). */
export default function LotteryPageView() {
  const page = useLotteryPage()
  return (
    <View className='lottery-page' data-testid='lottery-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Lottery page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Lottery({ page, data }: { page: LotteryPage; data: LotteryData }) {
  const { entry } = data
  const { draw } = page
  const drawn = draw.phase === 'done' ? draw.result : null
  const alreadyDrawn = draw.phase === 'idle' && entry.drawn_bps !== null && entry.drawn_bps !== undefined
  const canStart = draw.phase === 'idle' && entry.can_draw === true

  let dial: string
  if (draw.phase === 'rolling') dial = formatBps(draw.shownBps)
  else if (drawn) dial = formatBps(drawn.drawn_bps)
  else if (alreadyDrawn) dial = formatBps(Number(entry.drawn_bps))
  else dial = '?'

  return (
    <View className='lottery-page__body'>
      <Text className='lottery-page__item'>{entry.item_name}</Text>
      <Text className='lottery-page__meta'>
        当前奖励比例 {formatBps(entry.reward_bps)} · 总权益 {formatFen(entry.entitlement_fen)}
      </Text>
      <View className={`lottery-page__dial${draw.phase === 'rolling' ? ' lottery-page__dial--rolling' : ''}`}>
        <Text className='lottery-page__dial-text' data-testid='lottery-dial'>
          {dial}
        </Text>
      </View>

      {drawn && (
        <View className='lottery-page__result' data-testid='lottery-result'>
          <Text className='lottery-page__result-title'>恭喜！抽中奖励比例 <Text data-testid='drawn-ratio'>{formatBps(drawn.drawn_bps)}</Text></Text>
          <Text>
            总权益 {formatFen(drawn.previous_entitlement_fen)} → <Text data-testid='new-entitlement'>{formatFen(drawn.entitlement_fen)}</Text>
          </Text>
          <Text className='lottery-page__meta'>原比例 {formatBps(drawn.previous_bps)}，已按抽中的比例重新计算</Text>
        </View>
      )}
      {alreadyDrawn && (
        <Text className='lottery-page__note' data-testid='lottery-already'>
          该名额已抽过奖，抽中 {formatBps(Number(entry.drawn_bps))}
        </Text>
      )}
      {draw.phase === 'refused' && (
        <Text className='lottery-page__error' data-testid='lottery-refused'>
          {draw.message}
        </Text>
      )}
      {draw.phase === 'idle' && !alreadyDrawn && !canStart && (
        <Text className='lottery-page__note' data-testid='lottery-unavailable'>
          该排队名额不能抽奖（仅限排队中、尚未开始返利且参与抽奖的名额）
        </Text>
      )}

      {canStart || draw.phase === 'rolling' ? (
        <Button type='primary' block loading={draw.phase === 'rolling'} data-testid='lottery-start' onClick={() => void page.start()}>
          {draw.phase === 'rolling' ? '抽奖中…' : '立即抽奖'}
        </Button>
      ) : (
        <Button block data-testid='back-to-queue' onClick={page.backToQueue}>
          返回{data.display.display_name}
        </Button>
      )}
      <Text className='lottery-page__hint'>每个排队名额只能抽一次，抽中的比例将替换原来的奖励比例。</Text>
    </View>
  )
}

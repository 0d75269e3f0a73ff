import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import PageState from '@/components/PageState'
import { drawAccount, lotteryOdds, type LotteryConfigLike } from '@/lib/lottery'
import { formatBps, formatFen } from '@/lib/money'
import type { LotteryResult } from '@/services/lottery'
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
      <Text className='lottery-page__meta' data-testid='lottery-base'>
        {drawn || alreadyDrawn ? '奖励比例' : '当前基础比例'} {formatBps(drawn ? drawn.drawn_bps : entry.reward_bps)} · 总权益{' '}
        {formatFen(drawn ? drawn.entitlement_fen : entry.entitlement_fen)}
      </Text>
      <View className={`lottery-page__dial${draw.phase === 'rolling' ? ' lottery-page__dial--rolling' : ''}`}>
        <Text className='lottery-page__dial-text' data-testid='lottery-dial'>
          {dial}
        </Text>
      </View>

      {drawn && <DrawResult result={drawn} />}
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
      {entry.lottery_config && !drawn && !alreadyDrawn && <Odds config={entry.lottery_config} />}
      <Text className='lottery-page__hint'>
        每个排队名额只能抽一次；抽中的比例替换当前基础比例，可能高于也可能低于它，总权益随之重新计算。
      </Text>
    </View>
  )
}

/** The published odds, before drawing. */
function Odds({ config }: { config: LotteryConfigLike }) {
  const odds = lotteryOdds(config)
  return (
    <View className='lottery-page__odds' data-testid='lottery-odds'>
      <Text className='lottery-page__odds-title'>抽奖规则（可能的结果及概率）</Text>
      {odds.mode === 'fixed' ? (
        odds.outcomes.map((o) => (
          <View key={o.bps} className='lottery-page__odds-row' data-testid='lottery-outcome'>
            <Text>奖励比例 {o.ratioText}</Text>
            <Text>概率 {o.chanceText}</Text>
          </View>
        ))
      ) : (
        <Text data-testid='lottery-interval'>{odds.text}</Text>
      )}
    </View>
  )
}

/** After the draw: up or down, old → new entitlement; a congratulation only for a higher ratio. */
function DrawResult({ result }: { result: LotteryResult }) {
  const account = drawAccount(result.previous_bps, result.drawn_bps, result.previous_entitlement_fen, result.entitlement_fen)
  return (
    <View className={`lottery-page__result lottery-page__result--${account.direction}`} data-testid='lottery-result' data-direction={account.direction}>
      <Text className='lottery-page__result-title' data-testid='lottery-title'>
        {account.title}
      </Text>
      <Text data-testid='lottery-change'>{account.change}</Text>
      <Text className='lottery-page__meta'>
        原比例 {formatBps(result.previous_bps)} → 抽中 <Text data-testid='drawn-ratio'>{formatBps(result.drawn_bps)}</Text>，新的总权益{' '}
        <Text data-testid='new-entitlement'>{formatFen(result.entitlement_fen)}</Text>
      </Text>
    </View>
  )
}

import { rpc, type Composite, type Filled, type Refine } from './api'

/** public.draw_lottery(p_entry_id) → public.lottery_draw_result */
export type LotteryResult = Refine<
  Filled<Composite<'lottery_draw_result'>, 'options' | 'min_bps' | 'max_bps'>,
  { mode: 'fixed' | 'interval'; config: LotteryConfig }
>

export type LotteryConfig =
  | { mode: 'fixed'; options: Array<{ bps: number; weight: number }> }
  | { mode: 'interval'; min_bps: number; max_bps: number }

/** Chinese text for refusals whose hint is missing (the hint wins when present). */
export const LOTTERY_REFUSALS: Readonly<Record<string, string>> = {
  lottery_not_available: '该排队名额不能抽奖',
  lottery_already_drawn: '该排队名额已经抽过奖了',
  entry_not_waiting: '该排队名额已不在排队中，不能抽奖',
  entry_already_received: '该排队名额已开始返利，不能再抽奖',
  entry_not_found: '排队名额不存在',
  lottery_off: '抽奖活动未开启',
}

export function drawLottery(entryId: number): Promise<LotteryResult> {
  return rpc('draw_lottery', { p_entry_id: entryId }) as Promise<LotteryResult>
}

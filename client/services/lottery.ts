import { rpcJson } from './api'

/**
 * public.draw_lottery(p_entry_id bigint) → jsonb (docs/rules.md). One draw per entry (SPEC §6):
 * the drawn ratio replaces the entry's ratio and its entitlement is recomputed on the server.
 * Refusals raise P0001 with a stable code and a Chinese hint, e.g. lottery_not_available,
 * lottery_already_drawn, entry_not_waiting, entry_already_received, entry_not_found.
 */
export interface LotteryResult {
  entry_id: number
  mode: 'fixed' | 'interval'
  /** the ratio before the draw (the fallback ratio) */
  previous_bps: number
  drawn_bps: number
  previous_entitlement_fen: number
  entitlement_fen: number
  remaining_fen: number
  /** the rule that gave the ratio (e.g. 'product_lottery') and its Chinese label */
  rule_code: string
  rule_label: string
  /** the lottery configuration used: fixed options or an interval */
  config: LotteryConfig
  drawn_at: string
}

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
  return rpcJson<LotteryResult>('draw_lottery', { p_entry_id: entryId })
}

import { rpcJson } from './api'

/**
 * Exchange (兑换) of a waiting entry's remaining entitlement into points or love
 * value (SPEC §9): public.preview_exchange(p_entry_id, p_target) and
 * public.exchange_entry(p_entry_id, p_target), p_target 'points' | 'love'. Final: the entry
 * leaves the queue (已兑换).
 */
export type ExchangeTarget = 'points' | 'love'

export interface ExchangePreview {
  entry_id: number
  target: ExchangeTarget
  /** the entry's remaining entitlement, fen */
  remaining_fen: number
  /** the configured exchange ratio for this target, bps (= ratio_bps) */
  exchange_bps: number
  ratio_bps: number
  /** the wallet asset credited: points, love or love_frozen */
  asset: 'points' | 'love' | 'love_frozen'
  /** what would be credited: whole points, or love value in fen units (= bps_of(remaining, ratio)) */
  amount: number
  /** love value credited frozen (love_exchange_frozen); always false for points */
  frozen: boolean
}

export interface ExchangeResult extends ExchangePreview {
  exchange_id: number
  status: 'exchanged'
  entry_status: 'exchanged'
  /** the wallet balance of the credited asset after the exchange */
  balance_after: number
  exchanged_at: string
}

export const TARGET_LABELS: Readonly<Record<ExchangeTarget, string>> = { points: '积分', love: '爱心值' }

export function previewExchange(entryId: number, target: ExchangeTarget): Promise<ExchangePreview> {
  return rpcJson<ExchangePreview>('preview_exchange', { p_entry_id: entryId, p_target: target })
}

export function exchangeEntry(entryId: number, target: ExchangeTarget): Promise<ExchangeResult> {
  return rpcJson<ExchangeResult>('exchange_entry', { p_entry_id: entryId, p_target: target })
}

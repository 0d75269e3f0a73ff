import { invokeFunction } from './api'

/**
 * The projected completion of one of my waiting entries, from the `projection` edge function
 * (docs/projection.md): a P10–P90 range of days, or the probability of completing before the
 * next 清零, or 无法估计 with its reason. `headline` and `note` are the texts to show.
 */
export type ProjectionEstimate =
  | {
      kind: 'range'
      need_fen: number
      p10_day: number | null
      p50_day: number | null
      p90_day: number | null
      p_before_clearing: number | null
      next_clearing_at: string | null
    }
  | { kind: 'unknown'; reason: 'short_history' | 'no_inflow' | 'paused' | 'queue_closed' | 'hidden' }
  | { kind: 'ended' }

export interface EntryProjection {
  entry_id: number
  queue_id: number
  status: string
  estimate: ProjectionEstimate
  /** '预计 12–30 天（80% 区间）', '清零前完成的概率约 35%', '无法估计' */
  headline: string
  /** how it was estimated, or why not */
  note: string
  method?: { runs: number; horizon_days: number; min_history_days: number; history_days: number; window_days: number; computed_at: string }
}

export function entryProjection(entryId: number): Promise<EntryProjection> {
  return invokeFunction<EntryProjection>('projection', { entry_id: entryId })
}

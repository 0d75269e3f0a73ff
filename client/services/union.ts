import { rpc, type Refine, type RpcRow } from './api'

/**
 * The union queue (工会排队, SPEC §13) for members: which programme runs, my union entries,
 * the daily pool of the last 30 days.
 */

export type UnionStatus = 'waiting' | 'completed' | 'voided'

export const UNION_STATUS_LABEL: Record<UnionStatus, string> = { waiting: '排队中', completed: '已完成', voided: '已失效' }

/** public.programme_info(): classic or union, with what the union pages show. */
export type ProgrammeInfo = Refine<RpcRow<'programme_info'>, { programme_mode: 'classic' | 'union' }>

/** One acceleration an entry received: the referee order (masked) it came from. */
export interface UnionAcceleration { order_no: string; amount_fen: number; at: string }

/** One row of public.my_union_entries(). */
export type UnionEntry = Refine<RpcRow<'my_union_entries'>, {
  status: UnionStatus
  queue_position: number | null
  ahead_fen: number | null
  est_from: string | null
  est_to: string | null
  accelerations: UnionAcceleration[]
}>

/** One day of public.union_pool_days(). */
export type UnionPoolDay = RpcRow<'union_pool_days'>

export async function fetchProgrammeInfo(): Promise<ProgrammeInfo | null> {
  const rows = (await rpc('programme_info')) as ProgrammeInfo[]
  return Array.isArray(rows) && rows[0] ? rows[0] : null
}

export function fetchMyUnionEntries(): Promise<UnionEntry[]> {
  return rpc('my_union_entries') as unknown as Promise<UnionEntry[]>
}

export function fetchUnionPoolDays(): Promise<UnionPoolDay[]> {
  return rpc('union_pool_days') as Promise<UnionPoolDay[]>
}

/** 预计完成 of a union entry: a date range, one date, or 无法估计 (no payout history yet). */
export function unionEstimateText(e: Pick<UnionEntry, 'status' | 'est_from' | 'est_to'>): string | null {
  if (e.status !== 'waiting') return null
  if (!e.est_from || !e.est_to) return '无法估计'
  return e.est_from === e.est_to ? e.est_from : `${e.est_from} 至 ${e.est_to}`
}

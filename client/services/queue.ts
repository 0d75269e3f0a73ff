import type { InflowFields } from '@/lib/progress'
import { ApiError } from './errors'
import { rpc } from './supabase'

/**
 * The queue pages' API: display settings, my entries, the queue process view of one
 * entry and "who paid me". The optional fields (rules' flags, place, inflow) came with later
 * migrations; the pages work without them.
 */

export type EntryStatus = 'waiting' | 'completed' | 'exchanged' | 'cleared' | 'voided'

export const ENTRY_STATUSES: ReadonlyArray<{ status: EntryStatus; label: string }> = [
  { status: 'waiting', label: '排队中' },
  { status: 'completed', label: '已完成' },
  { status: 'exchanged', label: '已兑换' },
  { status: 'cleared', label: '已清零' },
  { status: 'voided', label: '已失效' },
]

/** public.rebate_display_settings(): names and the five display switches (SPEC §5.7–8, 19–23). */
export interface DisplaySettings {
  enabled: boolean
  display_name: string
  exchange_name: string
  show_process: boolean
  show_received: boolean
  show_waiting: boolean
  show_member_info: boolean
  show_waiting_amount: boolean
}

export const DEFAULT_DISPLAY: DisplaySettings = {
  enabled: true,
  display_name: '排队返利',
  exchange_name: '兑换',
  show_process: true,
  show_received: true,
  show_waiting: true,
  show_member_info: true,
  show_waiting_amount: true,
}

/** One row of public.my_entries(p_status, p_before_id, p_limit). */
export interface Entry extends InflowFields {
  entry_id: number
  queue_id: number
  queue_name: string
  seq: number
  status: EntryStatus
  status_label: string
  entitlement_fen: number
  received_fen: number
  remaining_fen: number
  closed_fen: number
  progress_bps: number
  reward_bps: number
  rule_code: string
  rule_label: string
  order_id: number
  order_no: string
  item_name: string
  order_completed: boolean
  created_at: string
  ended_at: string | null
  /** the member may draw now: waiting, nothing received, lottery rule, not drawn */
  can_draw?: boolean
  /** the drawn ratio once drawn, else null */
  drawn_bps?: number | null
  /** the entry may be exchanged now (waiting, and an exchange ratio gives a non-zero amount) */
  can_exchange?: boolean
  /** position in the queue (1 = head), for waiting entries (null otherwise); queue_process for older backends */
  position?: number | null
  ahead_count?: number | null
  /** null while the display settings hide amounts (待奖励金额 off) */
  ahead_amount_fen?: number | null
}

/** public.queue_process(p_entry_id, p_around) */
export interface QueueProcess extends InflowFields {
  entry: {
    entry_id: number
    seq: number
    status: EntryStatus
    status_label: string
    entitlement_fen: number
    received_fen: number
    remaining_fen: number
    closed_fen: number
    reward_bps: number
    rule_label: string
    order_no: string
    order_completed: boolean
    created_at: string
    ended_at: string | null
  }
  queue_id: number | null
  queue_name: string | null
  reward_rule: 'queue_order' | 'completed_queue_order'
  position: number | null
  ahead_count: number | null
  ahead_amount_fen: number | null
  eligible_ahead_count: number | null
  eligible_ahead_amount_fen: number | null
  display: Pick<DisplaySettings, 'show_process' | 'show_received' | 'show_waiting' | 'show_member_info' | 'show_waiting_amount'>
  around: AroundEntry[]
}

/** A waiting entry near mine in the queue process view; hidden fields are null. */
export interface AroundEntry {
  seq: number
  is_mine: boolean
  status: EntryStatus | null
  status_label: string | null
  nickname: string | null
  avatar_url: string | null
  entitlement_fen: number | null
  received_fen: number | null
  remaining_fen: number | null
}

/** One row of public.entry_sources(p_entry_id, p_before_id, p_limit): who paid me. */
export interface EntrySource {
  distribution_id: number
  amount_fen: number
  created_at: string
  source_order_no: string
  source_item: string
  payer_nickname: string | null
}

export const PAGE_SIZE = 20

let displayCache: { at: number; value: DisplaySettings } | null = null
const DISPLAY_TTL_MS = 30000

/** The display settings, cached briefly: every queue page reads them. */
export async function fetchDisplaySettings(nowMs: number = Date.now()): Promise<DisplaySettings> {
  if (displayCache && nowMs - displayCache.at < DISPLAY_TTL_MS) return displayCache.value
  const rows = await rpc<DisplaySettings[]>('rebate_display_settings')
  const value = Array.isArray(rows) && rows[0] ? { ...DEFAULT_DISPLAY, ...rows[0] } : DEFAULT_DISPLAY
  displayCache = { at: nowMs, value }
  return value
}

export function clearDisplayCache(): void {
  displayCache = null
}

export function fetchMyEntries(status: EntryStatus | null, beforeId: number | null = null, limit = PAGE_SIZE): Promise<Entry[]> {
  const args: Record<string, unknown> = { p_limit: limit }
  if (status) args.p_status = status
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc<Entry[]>('my_entries', args)
}

/**
 * My entries with their place in the queue. my_entries returns position and inflow itself
 * (migration 20261125002200); a row lacking them (an older backend) asks queue_process.
 */
export async function fetchMyEntriesWithProgress(
  status: EntryStatus | null,
  beforeId: number | null = null,
  limit = PAGE_SIZE,
): Promise<Entry[]> {
  const rows = await fetchMyEntries(status, beforeId, limit)
  return Promise.all(
    rows.map(async (row) => {
      if (row.status !== 'waiting' || row.position !== undefined) return row
      const process = await fetchQueueProcess(row.entry_id, 0)
      return {
        ...row,
        position: process.position,
        ahead_count: process.ahead_count,
        ahead_amount_fen: process.ahead_amount_fen,
        inflow_7d_fen: row.inflow_7d_fen ?? process.inflow_7d_fen,
        inflow_30d_fen: row.inflow_30d_fen ?? process.inflow_30d_fen,
        queue_created_at: row.queue_created_at ?? process.queue_created_at,
      }
    }),
  )
}

/** One of my entries: my_entries newest first below id + 1, so the first row is it if it is mine. */
export async function fetchMyEntry(entryId: number): Promise<Entry> {
  const rows = await fetchMyEntries(null, entryId + 1, 1)
  const row = rows.find((r) => r.entry_id === entryId)
  if (!row) throw new ApiError('entry_not_found', '排队名额不存在', 200)
  return row
}

export function fetchQueueProcess(entryId: number, around = 5): Promise<QueueProcess> {
  return rpc<QueueProcess>('queue_process', { p_entry_id: entryId, p_around: around })
}

export function fetchEntrySources(entryId: number, beforeId: number | null = null, limit = PAGE_SIZE): Promise<EntrySource[]> {
  const args: Record<string, unknown> = { p_entry_id: entryId, p_limit: limit }
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc<EntrySource[]>('entry_sources', args)
}

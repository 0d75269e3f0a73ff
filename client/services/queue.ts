import { rpc, type Composite, type Filled, type Refine, type RpcArgs, type RpcRow } from './api'
import { ApiError } from './errors'
import type { LotteryConfig } from './lottery'

/**
 * The queue pages' API: display settings, my entries, the queue process view of one
 * entry and "who paid me".
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
export type DisplaySettings = RpcRow<'rebate_display_settings'>

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
export type Entry = Refine<RpcRow<'my_entries'>, {
  status: EntryStatus
  ended_at: string | null
  /** the drawn ratio once drawn, else null */
  drawn_bps: number | null
  lottery_config: LotteryConfig | null
  converted_asset: string | null
  converted_amount: number | null
  /** position in the queue (1 = head), ahead count and amount: waiting entries only (null otherwise) */
  position: number | null
  ahead_count: number | null
  /** null while the display settings hide amounts (待奖励金额 off) */
  ahead_amount_fen: number | null
  inflow_7d_fen: number | null
  inflow_30d_fen: number | null
  queue_created_at: string | null
}>

/** My entry in the queue process view (public.queue_process_entry). */
export type QueueProcessEntry = Refine<
  Filled<Composite<'queue_process_entry'>, 'ended_at' | 'drawn_bps' | 'lottery_config' | 'converted_asset' | 'converted_amount'>,
  { status: EntryStatus }
>

/** public.queue_process(p_entry_id, p_around) → public.queue_process_view */
export type QueueProcess = Refine<
  Filled<
    Composite<'queue_process_view'>,
    | 'queue_id' | 'queue_name' | 'position' | 'ahead_count' | 'ahead_amount_fen' | 'eligible_ahead_count'
    | 'eligible_ahead_amount_fen' | 'inflow_7d_fen' | 'inflow_30d_fen' | 'queue_created_at'
  >,
  {
    entry: QueueProcessEntry
    reward_rule: 'queue_order' | 'completed_queue_order'
    display: Filled<Composite<'queue_display'>>
    around: AroundEntry[]
  }
>

/** A waiting entry near mine in the queue process view; hidden fields are null (public.queue_neighbour). */
export type AroundEntry = Refine<
  Filled<Composite<'queue_neighbour'>, 'status_label' | 'nickname' | 'avatar_url' | 'entitlement_fen' | 'received_fen' | 'remaining_fen'>,
  { status: EntryStatus | null }
>

/** One row of public.entry_sources(p_entry_id, p_before_id, p_limit): who paid me. */
export type EntrySource = Refine<RpcRow<'entry_sources'>, { payer_nickname: string | null }>

export const PAGE_SIZE = 20

let displayCache: { at: number; value: DisplaySettings } | null = null
const DISPLAY_TTL_MS = 30000

/** The display settings, cached briefly: every queue page reads them. */
export async function fetchDisplaySettings(nowMs: number = Date.now()): Promise<DisplaySettings> {
  if (displayCache && nowMs - displayCache.at < DISPLAY_TTL_MS) return displayCache.value
  const rows = await rpc('rebate_display_settings')
  const value = Array.isArray(rows) && rows[0] ? { ...DEFAULT_DISPLAY, ...rows[0] } : DEFAULT_DISPLAY
  displayCache = { at: nowMs, value }
  return value
}

export function clearDisplayCache(): void {
  displayCache = null
}

export function fetchMyEntries(status: EntryStatus | null, beforeId: number | null = null, limit = PAGE_SIZE): Promise<Entry[]> {
  const args: RpcArgs<'my_entries'> = { p_limit: limit }
  if (status) args.p_status = status
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_entries', args) as Promise<Entry[]>
}

/** My entries with their place in the queue (my_entries returns position and inflow itself). */
export const fetchMyEntriesWithProgress = fetchMyEntries

/** One of my entries: my_entries newest first below id + 1, so the first row is it if it is mine. */
export async function fetchMyEntry(entryId: number): Promise<Entry> {
  const rows = await fetchMyEntries(null, entryId + 1, 1)
  const row = rows.find((r) => r.entry_id === entryId)
  if (!row) throw new ApiError('entry_not_found', '排队名额不存在', 200)
  return row
}

export function fetchQueueProcess(entryId: number, around = 5): Promise<QueueProcess> {
  return rpc('queue_process', { p_entry_id: entryId, p_around: around }) as Promise<QueueProcess>
}

export function fetchEntrySources(entryId: number, beforeId: number | null = null, limit = PAGE_SIZE): Promise<EntrySource[]> {
  const args: RpcArgs<'entry_sources'> = { p_entry_id: entryId, p_limit: limit }
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('entry_sources', args) as Promise<EntrySource[]>
}

import { formatBps, formatFen, type Fen } from './money'
import { estimateCompletion, formatEta, formatPercent, inflowWindowsOf, progressPercent, type InflowFields } from './progress'

/**
 * What the queue page shows for one of my entries, derived from the RPC row: the texts and
 * flags the card renders, so the card itself stays a plain layout (and this is testable).
 */
export interface EntryFigures extends InflowFields {
  status: string
  entitlement_fen: Fen
  received_fen: Fen
  remaining_fen: Fen
  reward_bps: number
  rule_label: string
  can_draw?: boolean
  drawn_bps?: number | null
  can_exchange?: boolean
  position?: number | null
  ahead_count?: number | null
  ahead_amount_fen?: Fen | null
}

export interface EntryView {
  waiting: boolean
  percent: number
  percentText: string
  receivedText: string
  entitlementText: string
  remainingText: string
  /** '奖励比例 100%（默认比例）' */
  ratioText: string
  /** '抽中 50%' after a draw */
  drawnText: string | null
  /** '第 3 位' (waiting entries whose position is known) */
  positionText: string | null
  /** '前面 2 个名额，还需 ¥300.00' ('前面 2 个名额' when the amount is hidden; '已排到队首') */
  aheadText: string | null
  /** '3–5 天', '无法估计' (waiting entries only) */
  etaText: string | null
  canDraw: boolean
  canExchange: boolean
}

export function entryView(entry: EntryFigures, now: Date = new Date()): EntryView {
  const waiting = entry.status === 'waiting'
  const percent = progressPercent(entry.received_fen, entry.entitlement_fen)
  const known = (v: unknown): boolean => v !== null && v !== undefined
  let aheadText: string | null = null
  if (waiting && known(entry.ahead_count)) {
    const count = Number(entry.ahead_count)
    if (count === 0) aheadText = '已排到队首'
    else if (known(entry.ahead_amount_fen)) aheadText = `前面 ${count} 个名额，还需 ${formatFen(entry.ahead_amount_fen as Fen)}`
    else aheadText = `前面 ${count} 个名额`
  }
  const etaText = waiting
    ? formatEta(
        estimateCompletion({
          aheadFen: entry.ahead_amount_fen,
          remainingFen: entry.remaining_fen,
          windows: inflowWindowsOf(entry, now),
        }),
      )
    : null
  return {
    waiting,
    percent,
    percentText: formatPercent(percent),
    receivedText: formatFen(entry.received_fen),
    entitlementText: formatFen(entry.entitlement_fen),
    remainingText: formatFen(entry.remaining_fen),
    ratioText: ratioText(entry),
    drawnText: known(entry.drawn_bps) ? `抽中 ${formatBps(Number(entry.drawn_bps))}` : null,
    positionText: waiting && known(entry.position) ? `第 ${Number(entry.position)} 位` : null,
    aheadText,
    etaText,
    canDraw: waiting && entry.can_draw === true,
    canExchange: waiting && entry.can_exchange !== false,
  }
}

/**
 * '奖励比例 100%（默认比例）'. An entry whose ratio came from a lottery rule says what the figure
 * is: the base ratio before a draw, the drawn one after.
 */
function ratioText(entry: EntryFigures): string {
  const ratio = `奖励比例 ${formatBps(entry.reward_bps)}`
  if (!entry.rule_label.endsWith('抽奖')) return `${ratio}（${entry.rule_label}）`
  if (entry.drawn_bps !== null && entry.drawn_bps !== undefined) return `${ratio}（${entry.rule_label}抽中）`
  return `${ratio}（抽奖前基础比例${entry.can_draw ? '，可抽奖' : ''}）`
}

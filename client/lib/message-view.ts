import { formatFen, formatPoints, type Fen } from './money'
import { routes } from './routes'

/**
 * A message's amount in its own unit (points are never money: 1000 积分, not ¥10.00), and the
 * page it taps through to.
 */

const POINTS_KINDS = new Set(['points_received', 'entry_random_points'])
/** the body already names the asset and amount (points or love value) */
const NO_AMOUNT_KINDS = new Set(['entry_exchanged', 'union_exchanged'])

export function messageAmountText(kind: string, amount: Fen | null): string | null {
  if (amount === null || NO_AMOUNT_KINDS.has(kind)) return null
  if (POINTS_KINDS.has(kind)) return `${formatPoints(amount)} 积分`
  return formatFen(amount)
}

export interface MessageLike {
  kind: string
  entry_id: number | null
  order_id: number | null
}

/** Where tapping a message goes, or null when it has no object of its own. */
export function messageTarget(m: MessageLike): string | null {
  if (m.kind.startsWith('withdrawal_')) return routes.withdraw()
  if (m.kind === 'merchant_approved') return routes.myStore()
  if (m.kind === 'commission_reversed' || m.kind === 'dividend_paid') return routes.team('rewards')
  if (m.kind === 'referral_bound') return routes.team('direct')
  if (m.kind === 'points_received') return routes.wallet()
  // union kinds (工会排队) name a union entry, not a classic one: the 分红池 page
  if (m.kind.startsWith('union_')) return routes.unionPool()
  if (m.entry_id !== null) return routes.process(m.entry_id)
  if (m.order_id !== null) return routes.order(m.order_id)
  return null
}

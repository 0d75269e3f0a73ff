import DecimalBase from 'decimal.js'
import type { Fen } from './money'

/**
 * Presentation of a queue entry's progress: how far it is paid, and when it may complete.
 * Pure functions over the figures the backend returns; nothing here is stored or sent back.
 */

const Decimal = DecimalBase.clone({ precision: 40 })

function dec(value: Fen): DecimalBase {
  const text = typeof value === 'string' ? value.trim() : String(value)
  if (!/^-?\d+$/.test(text)) throw new RangeError(`expected an integer amount, got ${String(value)}`)
  return new Decimal(text)
}

/**
 * received / entitlement as a percentage for a progress bar, rounded down to one decimal,
 * so 100 appears only when the entry is paid in full. 0 for an empty entitlement.
 */
export function progressPercent(receivedFen: Fen, entitlementFen: Fen): number {
  const entitlement = dec(entitlementFen)
  if (entitlement.lessThanOrEqualTo(0)) return 0
  const received = Decimal.max(0, dec(receivedFen))
  const percent = received.times(1000).dividedToIntegerBy(entitlement).dividedBy(10)
  return Decimal.min(100, percent).toNumber()
}

/** '36.5%'; whole numbers without a decimal: '100%'. */
export function formatPercent(percent: number): string {
  return `${new Decimal(percent).toDecimalPlaces(1, Decimal.ROUND_DOWN).toString()}%`
}

/** Extraction that flowed into the entry's queue during a recent window. */
export interface InflowWindow {
  /** the window's length in days (7, 30 …) */
  days: number
  /** extraction that reached the queue's waiting entries in that window, in fen */
  fen: Fen
}

/** The figures the queue RPCs return for an estimate (all optional: older backends lack them). */
export interface InflowFields {
  inflow_7d_fen?: Fen | null
  inflow_30d_fen?: Fen | null
  /** when the queue opened: a queue younger than a window has had fewer days of inflow */
  queue_created_at?: string | null
}

const DAY_MS = 86400000

/** The windows present in an RPC row, each shortened to the queue's age (at least one day). */
export function inflowWindowsOf(fields: InflowFields, now: Date = new Date()): InflowWindow[] {
  const created = fields.queue_created_at ? Date.parse(fields.queue_created_at) : NaN
  const ageDays = Number.isFinite(created) ? Math.max(1, (now.getTime() - created) / DAY_MS) : Infinity
  const windows: InflowWindow[] = []
  const add = (fen: Fen | null | undefined, days: number): void => {
    if (fen === null || fen === undefined) return
    windows.push({ fen, days: Math.min(days, ageDays) })
  }
  add(fields.inflow_7d_fen, 7)
  add(fields.inflow_30d_fen, 30)
  return windows
}

export interface EtaInput {
  /** what the waiting entries ahead of mine still need (null: the backend hides it) */
  aheadFen: Fen | null | undefined
  /** what my entry still needs */
  remainingFen: Fen
  windows: InflowWindow[]
}

export type Eta =
  | { kind: 'done' }
  | { kind: 'unknown' }
  | { kind: 'range'; minDays: number; maxDays: number }

/**
 * When a waiting entry may be paid in full. Later orders pay the head of the queue first,
 * so my entry completes once the inflow has covered everything ahead of me plus my own
 * remainder. Each recent window gives a daily rate; the fastest and slowest rate give the
 * range. No inflow at all (or the amount ahead hidden) → unknown.
 */
export function estimateCompletion({ aheadFen, remainingFen, windows }: EtaInput): Eta {
  const remaining = dec(remainingFen)
  if (remaining.lessThanOrEqualTo(0)) return { kind: 'done' }
  if (aheadFen === null || aheadFen === undefined) return { kind: 'unknown' }
  const need = Decimal.max(0, dec(aheadFen)).plus(remaining)
  const days = windows
    .filter((w) => w.days > 0 && dec(w.fen).greaterThan(0))
    .map((w) => need.dividedBy(dec(w.fen).dividedBy(w.days)))
  if (days.length === 0) return { kind: 'unknown' }
  return {
    kind: 'range',
    minDays: Decimal.min(...days).toNumber(),
    maxDays: Decimal.max(...days).toNumber(),
  }
}

/**
 * The estimate as users read it: '1 天内', '约 3 天', '3–5 天', '约 2–4 个月', '2 年以上',
 * '即将完成', '无法估计'.
 */
export function formatEta(eta: Eta): string {
  switch (eta.kind) {
    case 'done':
      return '即将完成'
    case 'unknown':
      return '无法估计'
    case 'range': {
      const { minDays, maxDays } = eta
      if (maxDays <= 1) return '1 天内'
      if (maxDays <= 60) return span(Math.max(1, Math.ceil(minDays)), Math.ceil(maxDays), '天')
      if (minDays > 730) return '2 年以上'
      if (maxDays > 730) return `约 ${Math.max(1, Math.round(minDays / 30))} 个月以上`
      return `约 ${span(Math.max(1, Math.round(minDays / 30)), Math.max(1, Math.ceil(maxDays / 30)), '个月').replace(/^约 /, '')}`
    }
  }
}

function span(low: number, high: number, unit: string): string {
  return low >= high ? `约 ${high} ${unit}` : `${low}–${high} ${unit}`
}

import DecimalBase from 'decimal.js'
import { formatBps, formatFen, type Fen } from './money'

/**
 * The lottery's published odds and an honest account of a draw (SPEC §6): before drawing, the
 * possible ratios with their probabilities (fixed mode) or the interval (interval mode); after,
 * whether the ratio went up or down and the entitlement before and after.
 */

const Decimal = DecimalBase.clone({ precision: 40 })

export type LotteryOdds =
  | { mode: 'fixed'; outcomes: Array<{ bps: number; ratioText: string; chanceText: string }> }
  | { mode: 'interval'; text: string }

export interface LotteryConfigLike {
  mode: 'fixed' | 'interval'
  options?: Array<{ bps: number; weight: number }>
  min_bps?: number
  max_bps?: number
}

/** weight ÷ Σ weights as a percentage with at most two decimals: 1 of 3 → '33.33%'. */
export function chanceText(weight: number, total: number): string {
  if (total <= 0) return '0%'
  return `${new Decimal(weight).times(100).dividedBy(total).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toString()}%`
}

export function lotteryOdds(config: LotteryConfigLike): LotteryOdds {
  if (config.mode === 'interval') {
    const min = Number(config.min_bps)
    const max = Number(config.max_bps)
    return { mode: 'interval', text: `在 ${formatBps(min)} 到 ${formatBps(max)} 之间随机抽取，每个比例（精确到 0.01%）机会均等` }
  }
  const options = config.options ?? []
  const total = options.reduce((s, o) => s + o.weight, 0)
  return {
    mode: 'fixed',
    outcomes: options.map((o) => ({ bps: o.bps, ratioText: formatBps(o.bps), chanceText: chanceText(o.weight, total) })),
  }
}

export type DrawDirection = 'up' | 'down' | 'same'

export interface DrawAccount {
  direction: DrawDirection
  /** '抽中 50%，奖励比例下调' — never a congratulation for a lower ratio */
  title: string
  /** '总权益 ¥100.00 → ¥50.00（减少 ¥50.00）' */
  change: string
}

export function drawAccount(previousBps: number, drawnBps: number, previousFen: Fen, newFen: Fen): DrawAccount {
  const direction: DrawDirection = drawnBps > previousBps ? 'up' : drawnBps < previousBps ? 'down' : 'same'
  const diff = new Decimal(String(newFen)).minus(String(previousFen))
  const word = { up: '上调', down: '下调', same: '不变' }[direction]
  const title = `${direction === 'up' ? '恭喜！' : ''}抽中 ${formatBps(drawnBps)}，奖励比例${word}`
  const delta = diff.isZero() ? '' : `（${diff.isPositive() ? '增加' : '减少'} ${formatFen(diff.abs().toFixed(0))}）`
  return { direction, title, change: `总权益 ${formatFen(previousFen)} → ${formatFen(newFen)}${delta}` }
}

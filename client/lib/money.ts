import DecimalBase from 'decimal.js'

/**
 * Money is an integer number of fen (分) everywhere in data. These helpers are the only
 * place it becomes yuan text, and they never use float arithmetic: decimal.js does the
 * scaling, and input is parsed from its digits.
 */

export type Fen = number | bigint | string

/** 40 significant digits: a bigint column (19 digits) never rounds here. */
const Decimal = DecimalBase.clone({ precision: 40 })

/** Thrown for unusable money input; `message` is Chinese and may be shown as is. */
export class MoneyInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MoneyInputError'
    // Babel may compile classes to ES5 for mini builds; keep instanceof working.
    Object.setPrototypeOf(this, MoneyInputError.prototype)
  }
}

const INTEGER = /^-?\d+$/

/** Largest amount yuanToFen accepts: what a JS number holds exactly (bigint columns hold more). */
const MAX_FEN = new Decimal(Number.MAX_SAFE_INTEGER)

/** 1234 → '¥12.34'; 123456789 → '¥1,234,567.89'; -5 → '-¥0.05'. Accepts fen as number, bigint or digit string (bigint columns arrive as strings). */
export function formatFen(fen: Fen): string {
  const amount = new Decimal(fenDigits(fen)).dividedBy(100)
  const [whole, cents] = amount.abs().toFixed(2).split('.')
  const text = `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${cents}`
  return amount.isNegative() && !amount.isZero() ? `-¥${text}` : `¥${text}`
}

function fenDigits(fen: Fen): string {
  if (typeof fen === 'bigint') return fen.toString()
  if (typeof fen === 'number') {
    // A fractional or unsafe number is not a fen amount; refuse rather than round.
    if (!Number.isSafeInteger(fen)) throw new RangeError(`fen must be a safe integer, got ${fen}`)
    return String(fen)
  }
  const trimmed = fen.trim()
  if (!INTEGER.test(trimmed)) throw new RangeError(`fen must be an integer string, got "${fen}"`)
  return trimmed
}

const YUAN = /^(\d+)(?:\.(\d+))?$/

/**
 * Parse what a user typed as yuan into fen: '12.3' → 1230, '0.05' → 5, '8' → 800.
 * Refuses negatives, more than two decimals, exponents, separators and anything else.
 */
export function yuanToFen(input: string): number {
  const text = input.trim()
  if (text === '') throw new MoneyInputError('请输入金额')
  if (text.startsWith('-')) throw new MoneyInputError('金额不能为负数')
  const match = YUAN.exec(text)
  if (!match) throw new MoneyInputError('请输入有效的金额')
  if ((match[2] ?? '').length > 2) throw new MoneyInputError('金额最多保留两位小数')
  const fen = new Decimal(text).times(100)
  if (fen.greaterThan(MAX_FEN)) throw new MoneyInputError('金额过大')
  return fen.toNumber()
}

/** Fen as the yuan text an amount field takes: 12345 → '123.45' (no symbol, no separators). */
export function fenToYuanInput(fen: Fen): string {
  return new Decimal(fenDigits(fen)).dividedBy(100).toFixed(2)
}

/** A ratio in basis points (10000 = 100%) as percent text: 10000 → '100%', 1250 → '12.5%', 5 → '0.05%'. */
export function formatBps(bps: number): string {
  if (!Number.isSafeInteger(bps)) throw new RangeError(`bps must be an integer, got ${bps}`)
  return `${new Decimal(bps).dividedBy(100).toString()}%`
}

/**
 * amount × ratio, rounded half-up to the fen: the engine's rule for entitlement, extraction
 * and exchange (SPEC §2, `rebate.bps_of`). For previews only; the server's figure is the truth.
 */
export function bpsOf(fen: Fen, bps: number): bigint {
  if (!Number.isSafeInteger(bps) || bps < 0) throw new RangeError(`bps must be a non-negative integer, got ${bps}`)
  const amount = new Decimal(fenDigits(fen))
  if (amount.isNegative()) throw new RangeError('amount must not be negative')
  return BigInt(amount.times(bps).dividedBy(10000).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).toFixed(0))
}

/** Whole points with thousands separators: 123456 → '123,456'. */
export function formatPoints(points: Fen): string {
  const digits = fenDigits(points)
  const negative = digits.startsWith('-') && digits !== '-0' && !/^-0+$/.test(digits)
  const body = digits.replace(/^-/, '').replace(/^0+(?=\d)/, '')
  return `${negative ? '-' : ''}${body.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`
}

/** Love value (爱心值) is kept in fen units: 1234 → '12.34'. */
export function formatLove(fen: Fen): string {
  return formatFen(fen).replace('¥', '')
}

/** Compare two fen amounts exactly (numbers, bigints or digit strings). */
export function sameFen(a: Fen, b: Fen): boolean {
  return new Decimal(fenDigits(a)).equals(new Decimal(fenDigits(b)))
}

import { yuanToFen } from './money'

/**
 * The cashier keypad's amount, kept as the text the member typed ('128.5'): at most six
 * integer digits (the engine's cap is 1,000,000.00 yuan) and two decimals, no leading zeros.
 */
export const MAX_INTEGER_DIGITS = 6

export function pressKey(current: string, key: string): string {
  if (key === '00') return pressKey(pressKey(current, '0'), '0')
  if (key === '.') {
    if (current.includes('.')) return current
    return current === '' ? '0.' : `${current}.`
  }
  if (!/^\d$/.test(key)) return current
  const [integer, decimals] = current.split('.')
  if (decimals !== undefined) return decimals.length >= 2 ? current : current + key
  if (integer === '0') return key
  if (integer.length >= MAX_INTEGER_DIGITS) return current
  return current + key
}

export function deleteKey(current: string): string {
  return current.slice(0, -1)
}

/** The fen to pay, or null while nothing payable is typed ('', '0', '0.', '0.00'). */
export function amountFenOf(text: string): number | null {
  const trimmed = text.endsWith('.') ? text.slice(0, -1) : text
  if (trimmed === '') return null
  const fen = yuanToFen(trimmed)
  return fen > 0 ? fen : null
}

/** '128.5' → '128.5'; '' → '0.00' (what the amount box shows). */
export function amountDisplay(text: string): string {
  return text === '' ? '0.00' : text
}

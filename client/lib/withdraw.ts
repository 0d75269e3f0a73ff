import { bpsOf, formatFen, MoneyInputError, yuanToFen } from './money'

/**
 * The withdrawal form's preview (提现): the fee and what arrives, and why the request would be
 * refused, from the rules my_withdrawal_info returns. The server decides (request_withdrawal
 * applies the same rules under the wallet lock); this only tells the member before sending.
 */

export interface WithdrawRules {
  min_fen: number
  fee_bps: number
  daily_limit: number
  today_count: number
}

export interface WithdrawPreview {
  /** the amount typed, in fen, or null while nothing usable is typed */
  amountFen: number | null
  feeFen: bigint | null
  netFen: bigint | null
  /** why it cannot be sent (Chinese), or null */
  problem: string | null
}

export function withdrawPreview(text: string, balanceFen: number, rules: WithdrawRules): WithdrawPreview {
  const none = (problem: string | null): WithdrawPreview => ({ amountFen: null, feeFen: null, netFen: null, problem })
  if (rules.today_count >= rules.daily_limit) return none(`今日提现次数已达上限（${rules.daily_limit}次）`)
  if (text.trim() === '') return none('请输入提现金额')
  let amountFen: number
  try {
    amountFen = yuanToFen(text)
  } catch (error) {
    return none(error instanceof MoneyInputError ? error.message : '请输入有效的金额')
  }
  if (amountFen < 1) return none('请输入有效的金额')
  const feeFen = bpsOf(amountFen, rules.fee_bps)
  const netFen = BigInt(amountFen) - feeFen
  const at = (problem: string | null): WithdrawPreview => ({ amountFen, feeFen, netFen, problem })
  if (amountFen < rules.min_fen) return at(`最低提现金额为${formatFen(rules.min_fen)}`)
  if (netFen < 1n) return at('扣除手续费后金额不足')
  if (amountFen > balanceFen) return at('余额不足')
  return at(null)
}

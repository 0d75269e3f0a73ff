import { rpc, type Composite, type Filled, type Refine, type RpcArgs } from './api'

/**
 * Withdrawals (提现) of cash rebate or commission (13_withdrawals.sql): the rules and my room
 * today, a request, my requests with their states. Paying out is the platform's side.
 */

export type WithdrawAsset = 'cash' | 'commission'
export type WithdrawalStatus = 'pending' | 'approved' | 'rejected'

/** public.my_withdrawal_info → public.withdrawal_info */
export type WithdrawalInfo = Filled<Composite<'withdrawal_info'>>

/** public.request_withdrawal / my_withdrawals → public.withdrawal_details */
export type Withdrawal = Refine<
  Filled<Composite<'withdrawal_details'>, 'payout_ref' | 'reject_reason' | 'decided_at'>,
  { asset: WithdrawAsset; status: WithdrawalStatus }
>

export const WITHDRAW_ASSET_LABELS: Readonly<Record<WithdrawAsset, string>> = {
  cash: '返现余额',
  commission: '佣金',
}

export function fetchWithdrawalInfo(): Promise<WithdrawalInfo> {
  return rpc('my_withdrawal_info') as Promise<WithdrawalInfo>
}

export function fetchMyWithdrawals(beforeId: number | null = null, limit = 20): Promise<Withdrawal[]> {
  const args: RpcArgs<'my_withdrawals'> = { p_limit: limit }
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_withdrawals', args) as Promise<Withdrawal[]>
}

export function requestWithdrawal(asset: WithdrawAsset, amountFen: number): Promise<Withdrawal> {
  return rpc('request_withdrawal', { p_asset: asset, p_amount_fen: amountFen }) as Promise<Withdrawal>
}

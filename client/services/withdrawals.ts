import Taro from '@tarojs/taro'
import { invokeFunction, rpc, type Composite, type Filled, type Refine, type RpcArgs } from './api'
import { localDev } from './env'
import { ApiError } from './errors'

/**
 * Withdrawals (提现) of cash rebate or commission (13_withdrawals.sql): the rules and my room
 * today, a request, my requests with their states. Paying out is the platform's side: finance
 * approves and WeChat Pay's merchant transfer (商家转账) pays; while the transfer waits for me
 * (待确认收款) I confirm receipt on WeChat's page (wx.requestMerchantTransfer).
 */

export type WithdrawAsset = 'cash' | 'commission'
export type WithdrawalStatus = 'pending' | 'paying' | 'approved' | 'rejected' | 'returned'

/** public.my_withdrawal_info → public.withdrawal_info */
export type WithdrawalInfo = Filled<Composite<'withdrawal_info'>>

/** public.request_withdrawal / my_withdrawals → public.withdrawal_details */
export type Withdrawal = Refine<
  Filled<Composite<'withdrawal_details'>, 'payout_ref' | 'reject_reason' | 'decided_at' | 'app_id' | 'mch_id' | 'package_info' | 'transfer_state'>,
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

interface MerchantTransferApi {
  (options: {
    mchId: string
    appId: string
    package: string
    success: () => void
    fail: (error: { errMsg?: string }) => void
  }): void
}

/**
 * 确认收款: opens WeChat's confirmation page for a transfer waiting for me. Its success only means
 * the page was shown: the payment is confirmed by WeChat's notification, so reload afterwards.
 * On the local H5 demo the fake WeChat's confirm endpoint stands in for the page.
 */
export async function confirmReceipt(w: Withdrawal): Promise<void> {
  if (!w.package_info || !w.mch_id || !w.app_id) throw new ApiError('transfer_not_waiting', '该提现无需确认收款', 0)
  if (localDev) {
    await invokeFunction<Withdrawal>('dev-transfer-confirm', { withdrawal_id: w.withdrawal_id })
    return
  }
  const wx = (globalThis as { wx?: { requestMerchantTransfer?: MerchantTransferApi; canIUse?: (name: string) => boolean } }).wx
  const open = (Taro as unknown as { requestMerchantTransfer?: MerchantTransferApi }).requestMerchantTransfer ?? wx?.requestMerchantTransfer
  if (!open || (wx?.canIUse && !wx.canIUse('requestMerchantTransfer'))) {
    throw new ApiError('transfer_unsupported', '当前微信版本过低，请升级微信后再确认收款', 0)
  }
  await new Promise<void>((resolve, reject) => {
    open({
      mchId: w.mch_id!,
      appId: w.app_id!,
      package: w.package_info!,
      success: () => resolve(),
      fail: (error) => reject(/cancel/i.test(error?.errMsg ?? '')
        ? new ApiError('transfer_cancelled', '已取消确认收款', 0)
        : new ApiError('transfer_failed', '确认收款未完成，请稍后重试', 0)),
    })
  })
}

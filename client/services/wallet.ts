import { rpc, type Composite, type Filled, type Refine, type RpcArgs, type RpcRow } from './api'

/**
 * Wallet: balances, the ledger, and points transfer (public.transfer_points, docs/rules.md).
 * Units: cash and commission in fen; points whole (1 point deducts 1 fen); love value in fen units.
 */

export type Asset = 'cash' | 'commission' | 'points' | 'love' | 'love_frozen'

/** public.my_wallet() */
export type Wallet = RpcRow<'my_wallet'>

/** One row of public.my_ledger(p_asset, p_before_id, p_limit). */
export type LedgerRow = Refine<RpcRow<'my_ledger'>, { asset: Asset; order_id: number | null; entry_id: number | null }>

/** public.transfer_points → public.points_transfer_result (the recipient's nickname masked, '张**'). */
export type PointsTransfer = Filled<Composite<'points_transfer_result'>, 'to_nickname_masked' | 'to_nickname'>

/** public.transfer_recipient → public.transfer_recipient_info: who a transfer would reach (masked). */
export type TransferRecipient = Filled<Composite<'transfer_recipient_info'>>

export const ASSET_LABELS: Readonly<Record<Asset, string>> = {
  cash: '返现',
  commission: '佣金',
  points: '积分',
  love: '爱心值',
  love_frozen: '冻结爱心值',
}

export async function fetchMyWallet(): Promise<Wallet> {
  const rows = await rpc('my_wallet')
  return Array.isArray(rows) && rows[0] ? rows[0] : { cash_fen: 0, commission_fen: 0, points: 0, love_fen: 0, love_frozen_fen: 0 }
}

export function fetchMyLedger(asset: Asset | null, beforeId: number | null = null, limit = 20): Promise<LedgerRow[]> {
  const args: RpcArgs<'my_ledger'> = { p_limit: limit }
  if (asset) args.p_asset = asset
  if (beforeId !== null) args.p_before_id = beforeId
  return rpc('my_ledger', args) as Promise<LedgerRow[]>
}

export function transferPoints(toMemberCode: string, points: number): Promise<PointsTransfer> {
  return rpc('transfer_points', { p_to_member_code: toMemberCode, p_points: points }) as Promise<PointsTransfer>
}

/** Who a transfer to this member code would reach, for the confirmation (refuses as transfer_points would). */
export function fetchTransferRecipient(memberCode: string): Promise<TransferRecipient> {
  return rpc('transfer_recipient', { p_member_code: memberCode }) as Promise<TransferRecipient>
}

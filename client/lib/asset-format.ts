import { formatFen, formatLove, formatPoints } from './money'

/** The wallet's assets and their units: cash and commission in fen, points whole, love value in fen units. */
export type AssetKind = 'cash' | 'commission' | 'points' | 'love' | 'love_frozen'

/** A balance in its unit: '¥12.34', '1,500', '12.34'. */
export function assetAmount(asset: AssetKind, value: number | string): string {
  if (asset === 'cash' || asset === 'commission') return formatFen(value)
  if (asset === 'points') return formatPoints(value)
  return formatLove(value)
}

/** A signed change with its unit: '+¥12.34', '-500 积分', '+1.50 爱心值'. */
export function assetDelta(asset: AssetKind, delta: number): string {
  const sign = delta > 0 ? '+' : '-'
  const abs = Math.abs(delta)
  if (asset === 'cash' || asset === 'commission') return `${sign}${formatFen(abs)}`
  if (asset === 'points') return `${sign}${formatPoints(abs)} 积分`
  return `${sign}${formatLove(abs)} ${asset === 'love' ? '爱心值' : '冻结爱心值'}`
}

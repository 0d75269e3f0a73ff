/**
 * 确认订单, the pure part: how much of the points and love value a switched-on deduction uses,
 * and whether a delivery address is complete. The server decides (create_order refuses a
 * deduction that reaches the order's amount, rebate.parse_order_delivery checks the address the
 * same way); preview_order then gives the exact figures shown.
 */

export interface Deduction {
  points_fen: number
  love_fen: number
}

/**
 * The deduction the switches ask for: points first (1 point deducts 1 fen), then love value, at
 * most the goods amount less one fen (an order always pays something in cash).
 */
export function deductionFor(goodsFen: number, points: number, loveFen: number, usePoints: boolean, useLove: boolean): Deduction {
  const room = Math.max(0, goodsFen - 1)
  const p = usePoints ? Math.min(Math.max(0, Math.floor(points)), room) : 0
  const l = useLove ? Math.min(Math.max(0, Math.floor(loveFen)), room - p) : 0
  return { points_fen: p, love_fen: l }
}

export interface AddressFields {
  name: string
  phone: string
  region: string
  detail: string
}

/** Why the address cannot be sent (Chinese), or null. */
export function addressProblem(a: AddressFields | null): string | null {
  if (!a) return '请填写收货地址'
  const name = a.name.trim()
  if (name.length < 1 || name.length > 20) return '请填写收货人（最多 20 个字）'
  if (!/^[0-9+-]{5,20}$/.test(a.phone.replace(/\s/g, ''))) return '请填写正确的联系电话'
  if (a.region.trim() === '' || a.region.trim().length > 60) return '请填写所在地区'
  if (a.detail.trim() === '' || a.detail.trim().length > 120) return '请填写详细地址（最多 120 个字）'
  return null
}

/** '13800138000' → '138****8000' (what the address card shows). */
export function maskPhone(phone: string): string {
  const p = phone.replace(/\s/g, '')
  return p.length >= 7 ? `${p.slice(0, 3)}****${p.slice(-4)}` : p
}

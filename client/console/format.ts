import { formatBps, formatFen } from '../lib/money'

export const yuan = (fen: number | string | null | undefined): string => (fen === null || fen === undefined ? '—' : formatFen(fen))
export const pct = (bps: number | null | undefined): string => (bps === null || bps === undefined ? '—' : formatBps(bps))
export const time = (t: string | null | undefined): string =>
  t ? new Date(t).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false }) : '—'
export const CHANNEL_LABELS: Record<string, string> = { mall: '商城', store: '门店线上', cashier: '收银台' }
export const SCOPE_LABELS: Record<string, string> = {
  mall: '商家队列', product: '商品队列', stores: '所有门店队列', store: '门店队列', cashiers: '所有收银台队列', cashier: '收银台队列',
}

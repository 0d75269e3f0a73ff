import { bpsOf, ModelError } from './engine-model'

/**
 * The reference model of the union queue mode (工会排队, SPEC §13), in pure TypeScript: the
 * same rules as supabase/schemas/20_union.sql stated a second time, as plainly as possible, so
 * that a property test can run random operations through both and demand identical entries,
 * line records, daily payouts and wallets, to the fen.
 *
 * Scope: orders of one or more lines in every channel (mall self-operated, supplier and supply
 * chain products; store online products; cashier payments), the deduction switch, settlement
 * at payment or at completion, refunds of whole orders before and after a day's payout, the
 * direct referral reward (the only reward the net profit subtracts here), acceleration, pause,
 * and days passing (closeDay runs the payout of the current day). Money is integer fen, ratios
 * basis points, each product of an amount and a ratio rounded half-up once (bpsOf).
 */

export type UnionChannel = 'mall' | 'store' | 'cashier'
export type UnionProductKind = 'self' | 'supplier' | 'supply_chain' | 'store'

export interface UnionSettings {
  enabled: boolean
  paused: boolean
  quotaBps: number
  poolBps: number
  accelBps: number
  settleEvent: 'paid' | 'completed'
  deductionParticipates: boolean
  referralDirectBps: number
}

export const UNION_DEFAULTS: UnionSettings = {
  enabled: true, paused: false, quotaBps: 11000, poolBps: 6000, accelBps: 0, settleEvent: 'paid',
  deductionParticipates: true, referralDirectBps: 0,
}

export interface UnionProduct { id: number; kind: UnionProductKind; storeId: number | null; priceFen: number; costFen: number; supplyPriceFen: number }

export interface UnionLineInput { productId: number | null; quantity: number; amountFen: number; pointsFen: number; loveFen: number }

export interface UnionEntry {
  id: number; member: string; orderId: number; lineNo: number; quotaFen: number; receivedFen: number; acceleratedFen: number
  closedFen: number; status: 'waiting' | 'completed' | 'voided'
}

export interface UnionLineRecord {
  orderId: number; lineNo: number; day: number; grossFen: number; rewardsFen: number; subsidyFen: number; netProfitFen: number
  contributionFen: number; accelFen: number
}

export interface UnionPayout {
  day: number; carryInFen: number; contributionFen: number; accelerationFen: number; takebackFen: number
  availableFen: number; paidFen: number; entriesPaid: number; carryOverFen: number; held: boolean
}

interface Line extends UnionLineInput { no: number; payFen: number; joined: boolean; settled: boolean; refunded: boolean; entryId: number | null }
interface Order { id: number; member: string; channel: UnionChannel; storeId: number | null; status: 'pending' | 'paid' | 'completed' | 'refunded'; lines: Line[] }

export class UnionModel {
  settings: UnionSettings
  day = 0
  readonly products = new Map<number, UnionProduct>()
  readonly storeCommission = new Map<number, number>()
  readonly referrer = new Map<string, string>()
  readonly cash = new Map<string, number>()
  readonly entries: UnionEntry[] = []
  readonly lines: UnionLineRecord[] = []
  readonly payouts: UnionPayout[] = []
  private readonly takebacks: Array<{ day: number; amountFen: number }> = []
  private readonly orders = new Map<number, Order>()
  private nextEntry = 1

  constructor(settings: Partial<UnionSettings> = {}) {
    this.settings = { ...UNION_DEFAULTS, ...settings }
  }

  set(patch: Partial<UnionSettings>): void { this.settings = { ...this.settings, ...patch } }
  addProduct(p: UnionProduct): void { this.products.set(p.id, p) }
  addStore(storeId: number, commissionBps: number): void { this.storeCommission.set(storeId, commissionBps) }
  bind(member: string, referrer: string): void { this.referrer.set(member, referrer) }

  /** A created order; its lines' amounts and deductions as the database split them. */
  create(id: number, member: string, channel: UnionChannel, storeId: number | null, lines: UnionLineInput[]): void {
    this.orders.set(id, {
      id, member, channel, storeId, status: 'pending',
      lines: lines.map((l, i) => ({ ...l, no: i + 1, payFen: l.amountFen - l.pointsFen - l.loveFen, joined: false, settled: false, refunded: false, entryId: null })),
    })
  }

  pay(orderId: number): void {
    const o = this.order(orderId)
    if (o.status !== 'pending') throw new ModelError('order_not_pending')
    o.status = 'paid'
    const s = this.settings
    const settle = s.settleEvent === 'paid'
    const deducted = o.lines.some((l) => l.pointsFen > 0 || l.loveFen > 0)
    for (const l of o.lines) {
      l.joined = s.enabled
      if (l.joined && !(deducted && !s.deductionParticipates)) {
        const quota = bpsOf(l.payFen, s.quotaBps)
        if (quota > 0) {
          const e: UnionEntry = { id: this.nextEntry++, member: o.member, orderId, lineNo: l.no, quotaFen: quota, receivedFen: 0, acceleratedFen: 0, closedFen: 0, status: 'waiting' }
          this.entries.push(e)
          l.entryId = e.id
        }
      }
      if (settle) this.settleLine(o, l)
    }
  }

  complete(orderId: number): void {
    const o = this.order(orderId)
    if (o.status === 'completed') return
    if (o.status !== 'paid') throw new ModelError('order_not_completable')
    o.status = 'completed'
    for (const l of o.lines) if (!l.settled && !l.refunded) this.settleLine(o, l)
  }

  /** A refund of every line not refunded yet (SPEC §13.7). */
  refund(orderId: number): { refundFen: number; clawbackFen: number } {
    const o = this.order(orderId)
    if (o.status !== 'paid' && o.status !== 'completed') throw new ModelError('order_not_refundable')
    let refundFen = 0
    let clawbackFen = 0
    for (const l of o.lines) {
      if (l.refunded) continue
      l.refunded = true
      let received = 0
      const e = l.entryId === null ? undefined : this.entries.find((x) => x.id === l.entryId)
      if (e) {
        received = e.receivedFen
        if (e.status === 'waiting') {
          e.status = 'voided'
          e.closedFen = e.quotaFen - e.receivedFen
        }
      }
      const rec = this.lines.find((x) => x.orderId === orderId && x.lineNo === l.no)
      if (rec && !this.payouts.some((p) => p.day >= rec.day)) {
        this.takebacks.push({ day: rec.day, amountFen: rec.contributionFen - rec.accelFen })
      }
      const claw = Math.min(l.payFen, received)
      clawbackFen += claw
      refundFen += l.payFen - claw
    }
    o.status = 'refunded'
    return { refundFen, clawbackFen }
  }

  /** The payout of the current day (SPEC §13.6); then the next day begins. */
  closeDay(): UnionPayout {
    const d = this.day
    const prev = this.payouts[this.payouts.length - 1]
    const after = (day: number) => day <= d && (prev === undefined || day > prev.day)
    const contributionFen = this.lines.filter((l) => after(l.day)).reduce((t, l) => t + l.contributionFen, 0)
    const accelerationFen = this.lines.filter((l) => after(l.day)).reduce((t, l) => t + l.accelFen, 0)
    const takebackFen = this.takebacks.filter((t) => after(t.day)).reduce((t, x) => t + x.amountFen, 0)
    const carryInFen = prev?.carryOverFen ?? 0
    const availableFen = carryInFen + contributionFen - accelerationFen - takebackFen
    const held = this.settings.paused || !this.settings.enabled
    let left = availableFen
    let entriesPaid = 0
    if (!held) {
      for (const e of this.entries) {
        if (e.status !== 'waiting') continue
        const rest = e.quotaFen - e.receivedFen
        if (rest > left) break
        e.receivedFen = e.quotaFen
        e.status = 'completed'
        this.credit(e.member, rest)
        left -= rest
        entriesPaid += 1
      }
    }
    const p: UnionPayout = { day: d, carryInFen, contributionFen, accelerationFen, takebackFen, availableFen, paidFen: availableFen - left, entriesPaid, carryOverFen: left, held }
    this.payouts.push(p)
    this.day += 1
    return p
  }

  private settleLine(o: Order, l: Line): void {
    l.settled = true
    if (!l.joined) return
    const s = this.settings
    const ref = this.referrer.get(o.member)
    const rewardsFen = ref !== undefined && s.referralDirectBps > 0 ? bpsOf(l.payFen, s.referralDirectBps) : 0
    if (rewardsFen > 0) this.commission(ref!, rewardsFen)
    let grossFen: number
    if (o.channel === 'mall') {
      const p = this.products.get(l.productId!)!
      grossFen = l.amountFen - l.quantity * (p.kind === 'supplier' ? p.supplyPriceFen : p.costFen)
    } else {
      grossFen = bpsOf(l.amountFen, this.storeCommission.get(o.storeId!) ?? 0)
    }
    const subsidyFen = l.pointsFen + l.loveFen
    const netProfitFen = Math.max(0, grossFen - rewardsFen - subsidyFen)
    const contributionFen = bpsOf(netProfitFen, s.poolBps)
    let accelFen = 0
    if (contributionFen > 0 && s.accelBps > 0 && !s.paused && ref !== undefined) {
      let left = Math.min(bpsOf(l.payFen, s.accelBps), contributionFen)
      for (const e of this.entries) {
        if (left === 0) break
        if (e.member !== ref || e.status !== 'waiting') continue
        const amt = Math.min(left, e.quotaFen - e.receivedFen)
        e.receivedFen += amt
        e.acceleratedFen += amt
        if (e.receivedFen === e.quotaFen) e.status = 'completed'
        this.credit(ref, amt)
        accelFen += amt
        left -= amt
      }
    }
    this.lines.push({ orderId: o.id, lineNo: l.no, day: this.day, grossFen, rewardsFen, subsidyFen, netProfitFen, contributionFen, accelFen })
  }

  /** Commission is not compared by this model (the referral model covers it); kept for completeness. */
  private commission(_member: string, _amount: number): void {}

  private credit(member: string, amount: number): void {
    this.cash.set(member, (this.cash.get(member) ?? 0) + amount)
  }

  private order(id: number): Order {
    const o = this.orders.get(id)
    if (!o) throw new ModelError('order_not_found')
    return o
  }

  /** Σ contributions − Σ acceleration − Σ payouts − Σ taken back (SPEC §13.9). */
  poolBalance(): number {
    return this.lines.reduce((t, l) => t + l.contributionFen - l.accelFen, 0)
      - this.payouts.reduce((t, p) => t + p.paidFen, 0) - this.takebacks.reduce((t, x) => t + x.amountFen, 0)
  }
}

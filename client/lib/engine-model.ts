import DecimalBase from 'decimal.js'

/**
 * A reference model of the queue rebate engine (SPEC §1–3, §5, §10), in pure TypeScript.
 *
 * It is not what moves money — Postgres does (supabase/migrations, rebate.settle_order). It
 * states the same rules a second time, as plainly as possible, so that a property test can
 * run random sequences of orders, payments, completions and refunds through both and demand
 * identical entries, distributions, retained amounts and wallets. The client may also use
 * it to preview amounts (e.g. the entitlement an order would earn).
 *
 * Money is integer fen, ratios are basis points; products of amounts and ratios are exact
 * with decimal.js and rounded half-up to the fen once (SPEC §2).
 */

const Decimal = DecimalBase.clone({ precision: 40, rounding: DecimalBase.ROUND_DOWN })

export const MAX_ORDER_FEN = 100_000_000

/** amount × bps, half-up to the fen: (amount × bps + 5000) / 10000, rounded down. */
export function bpsOf(fen: number, bps: number): number {
  return new Decimal(fen).times(bps).plus(5000).dividedToIntegerBy(10000).toNumber()
}

/** Splits total over the weights in proportion, largest remainder first (ties: lower index). */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0)
  if (sum === 0 || total === 0) return weights.map(() => 0)
  const t = new Decimal(total)
  const base = weights.map((w) => t.times(w).dividedToIntegerBy(sum).toNumber())
  let left = total - base.reduce((s, b) => s + b, 0)
  const order = weights
    .map((w, i) => ({ i, rem: t.times(w).mod(sum).toNumber() }))
    .sort((a, b) => b.rem - a.rem || a.i - b.i)
  for (const { i } of order) {
    if (left === 0) break
    base[i] += 1
    left -= 1
  }
  return base
}

export class ModelError extends Error {
  readonly code: string
  constructor(code: string) {
    super(code)
    this.name = 'ModelError'
    this.code = code
    Object.setPrototypeOf(this, ModelError.prototype)
  }
}

export type Channel = 'mall' | 'store' | 'cashier'
export type EntryStatus = 'waiting' | 'completed' | 'exchanged' | 'cleared' | 'voided'
export type OrderStatus = 'pending' | 'paid' | 'completed' | 'refunded' | 'cancelled'
export type RetainReason = 'no_waiting_entry' | 'paused' | 'queue_closed' | 'plugin_off'

export interface ModelSettings {
  enabled: boolean
  deductionParticipates: boolean
  settleEvent: 'paid' | 'completed'
  rewardRule: 'queue_order' | 'completed_queue_order'
  extractionBps: number
  defaultRewardBps: number
  merchantQueue: boolean
  allStoresQueue: boolean
  allCashiersQueue: boolean
  paused: boolean
}

export const DEFAULT_SETTINGS: ModelSettings = {
  enabled: false,
  deductionParticipates: true,
  settleEvent: 'paid',
  rewardRule: 'queue_order',
  extractionBps: 1000,
  defaultRewardBps: 10000,
  merchantQueue: false,
  allStoresQueue: false,
  allCashiersQueue: false,
  paused: false,
}

export interface ModelProduct {
  id: number
  kind: 'self' | 'supplier' | 'supply_chain' | 'store'
  storeId: number | null
  priceFen: number
  listed: boolean
  rebateEnabled: boolean
  rewardBps: number | null
  extractionBps: number | null
}

export interface ModelCashier {
  id: number
  rebateEnabled: boolean
  rewardBps: number | null
  extractionBps: number | null
}

export interface ModelStore {
  id: number
  approved: boolean
  rebateEnabled: boolean
  rewardBps: number | null
  extractionBps: number | null
  cashier: ModelCashier | null
}

export interface ModelQueue {
  key: string
  nextSeq: number
  closed: boolean
  extractedFen: number
  distributedFen: number
  retainedFen: number
}

export interface ModelLine {
  lineNo: number
  productId: number | null
  quantity: number
  amountFen: number
  pointsDeductFen: number
  loveDeductFen: number
  payFen: number
  queueKey: string | null
  seq: number | null
  payBelowSeq: number | null
  noEntryReason: string | null
  rewardBps: number | null
  ruleCode: string | null
  entitlementFen: number
  extractionFen: number
  settled: boolean
  distributedFen: number
  retainedFen: number
  refunded: boolean
  refundFen: number
  clawbackFen: number
  shortfallFen: number
  costFen: number
}

export interface ModelOrder {
  handle: string
  member: string
  channel: Channel
  storeId: number | null
  status: OrderStatus
  goodsFen: number
  pointsDeductFen: number
  loveDeductFen: number
  payFen: number
  refundedFen: number
  paid: boolean
  lines: ModelLine[]
}

export interface ModelEntry {
  orderHandle: string
  lineNo: number
  queueKey: string
  seq: number
  member: string
  entitlementFen: number
  receivedFen: number
  closedFen: number
  status: EntryStatus
  orderCompleted: boolean
}

export interface ModelDistribution {
  sourceOrder: string
  sourceLineNo: number
  entryOrder: string
  entryLineNo: number
  member: string
  amountFen: number
}

export interface ModelRetention {
  orderHandle: string
  lineNo: number
  amountFen: number
  reason: RetainReason
}

export interface ModelWallet {
  cashFen: number
  points: number
  loveFen: number
}

export interface ModelRefund {
  orderHandle: string
  lineNos: number[]
  refundFen: number
  clawbackFen: number
  shortfallFen: number
  costFen: number
  pointsReturned: number
  loveReturnedFen: number
}

export interface OrderInput {
  channel: Channel
  lines?: Array<{ productId: number; quantity: number }>
  storeId?: number
  amountFen?: number
  pointsFen?: number
  loveFen?: number
}

export class EngineModel {
  settings: ModelSettings
  readonly products = new Map<number, ModelProduct>()
  readonly stores = new Map<number, ModelStore>()
  readonly queues = new Map<string, ModelQueue>()
  readonly orders = new Map<string, ModelOrder>()
  readonly entries: ModelEntry[] = []
  readonly distributions: ModelDistribution[] = []
  readonly retentions: ModelRetention[] = []
  readonly refunds = new Map<string, ModelRefund>()
  readonly wallets = new Map<string, ModelWallet>()
  /** generation of each product's queue: a relisted product gets a new one */
  private readonly productGeneration = new Map<number, number>()

  constructor(settings: Partial<ModelSettings> = {}) {
    this.settings = { ...DEFAULT_SETTINGS, ...settings }
    for (const key of ['mall', 'stores', 'cashiers']) this.openQueue(key)
  }

  // ------------------------------------------------------------ catalog and settings

  setSettings(patch: Partial<ModelSettings>): void {
    this.settings = { ...this.settings, ...patch }
  }

  addProduct(p: ModelProduct): void {
    this.products.set(p.id, { ...p })
    if (p.kind !== 'store' && p.listed) this.openProductQueue(p.id)
  }

  addStore(s: ModelStore): void {
    this.stores.set(s.id, { ...s, cashier: s.cashier ? { ...s.cashier } : null })
    this.openQueue(`store:${s.id}`)
    if (s.cashier) this.openQueue(`cashier:${s.cashier.id}`)
  }

  setProductRebate(id: number, enabled: boolean): void {
    this.product(id).rebateEnabled = enabled
  }

  /** Delisting closes a mall product's queue for good; relisting opens a new one. */
  setProductListed(id: number, listed: boolean): void {
    const p = this.product(id)
    if (p.listed === listed) return
    p.listed = listed
    if (p.kind === 'store') return
    if (listed) this.openProductQueue(id)
    else this.queue(this.productQueueKey(id)).closed = true
  }

  wallet(member: string): ModelWallet {
    let w = this.wallets.get(member)
    if (!w) {
      w = { cashFen: 0, points: 0, loveFen: 0 }
      this.wallets.set(member, w)
    }
    return w
  }

  grant(member: string, asset: 'points' | 'love' | 'cash', amount: number): void {
    const w = this.wallet(member)
    if (asset === 'points') w.points += amount
    else if (asset === 'love') w.loveFen += amount
    else w.cashFen += amount
  }

  // ------------------------------------------------------------ orders

  createOrder(handle: string, member: string, input: OrderInput): ModelOrder {
    const items: Array<{ productId: number | null; quantity: number; priceFen: number; amountFen: number }> = []
    let storeId: number | null = input.storeId ?? null
    let goods = 0
    if (input.channel === 'cashier') {
      if (storeId === null) throw new ModelError('invalid_store_id')
      const amount = input.amountFen ?? 0
      if (!Number.isInteger(amount) || amount < 1) throw new ModelError('invalid_amount')
      if (amount > MAX_ORDER_FEN) throw new ModelError('amount_too_large')
      items.push({ productId: null, quantity: 1, priceFen: amount, amountFen: amount })
      goods = amount
    } else {
      if (input.channel === 'mall' && storeId !== null) throw new ModelError('invalid_order')
      const lines = input.lines ?? []
      if (lines.length === 0) throw new ModelError('invalid_lines')
      if (lines.length > 50) throw new ModelError('too_many_lines')
      for (const l of lines) {
        if (!Number.isInteger(l.quantity) || l.quantity < 1 || l.quantity > 999) throw new ModelError('invalid_quantity')
        const p = this.products.get(l.productId)
        if (!p) throw new ModelError('product_not_found')
        if (!p.listed) throw new ModelError('product_unavailable')
        if ((input.channel === 'mall') === (p.kind === 'store')) throw new ModelError('product_wrong_channel')
        if (input.channel === 'store') {
          storeId = storeId ?? p.storeId
          if (p.storeId !== storeId) throw new ModelError('mixed_store_lines')
        }
        const amount = l.quantity * p.priceFen
        if (amount > MAX_ORDER_FEN || goods + amount > MAX_ORDER_FEN) throw new ModelError('amount_too_large')
        goods += amount
        items.push({ productId: p.id, quantity: l.quantity, priceFen: p.priceFen, amountFen: amount })
      }
    }
    if (input.channel !== 'mall') {
      const s = this.stores.get(storeId as number)
      if (!s) throw new ModelError('store_not_found')
      if (!s.approved) throw new ModelError('store_not_approved')
      if (input.channel === 'cashier' && !s.cashier) throw new ModelError('cashier_unavailable')
    }
    const points = input.pointsFen ?? 0
    const love = input.loveFen ?? 0
    if (!Number.isInteger(points) || points < 0 || points > MAX_ORDER_FEN) throw new ModelError('invalid_deduction')
    if (!Number.isInteger(love) || love < 0 || love > MAX_ORDER_FEN) throw new ModelError('invalid_deduction')
    if (points + love >= goods) throw new ModelError('deduction_exceeds_order')
    const w = this.wallet(member)
    if (points > w.points) throw new ModelError('insufficient_points')
    if (love > w.loveFen) throw new ModelError('insufficient_love')
    if (this.orders.has(handle)) throw new Error(`duplicate order handle ${handle}`)

    const amounts = items.map((i) => i.amountFen)
    const pAlloc = allocate(points, amounts)
    const lAlloc = allocate(love, amounts.map((a, i) => a - pAlloc[i]))
    w.points -= points
    w.loveFen -= love
    const order: ModelOrder = {
      handle,
      member,
      channel: input.channel,
      storeId: input.channel === 'mall' ? null : storeId,
      status: 'pending',
      goodsFen: goods,
      pointsDeductFen: points,
      loveDeductFen: love,
      payFen: goods - points - love,
      refundedFen: 0,
      paid: false,
      lines: items.map((it, i) => ({
        lineNo: i + 1,
        productId: it.productId,
        quantity: it.quantity,
        amountFen: it.amountFen,
        pointsDeductFen: pAlloc[i],
        loveDeductFen: lAlloc[i],
        payFen: it.amountFen - pAlloc[i] - lAlloc[i],
        queueKey: null,
        seq: null,
        payBelowSeq: null,
        noEntryReason: null,
        rewardBps: null,
        ruleCode: null,
        entitlementFen: 0,
        extractionFen: 0,
        settled: false,
        distributedFen: 0,
        retainedFen: 0,
        refunded: false,
        refundFen: 0,
        clawbackFen: 0,
        shortfallFen: 0,
        costFen: 0,
      })),
    }
    this.orders.set(handle, order)
    return order
  }

  /** Payment notification: returns 'replayed' for a repeat of an order already paid. */
  pay(handle: string): 'paid' | 'replayed' {
    const o = this.order(handle)
    if (o.paid) return 'replayed'
    if (o.status !== 'pending') throw new ModelError('order_not_pending')
    o.status = 'paid'
    o.paid = true
    const s = this.settings
    const settleNow = s.settleEvent === 'paid'
    const firstSeq = new Map<string, number>()
    for (const line of o.lines) {
      const { queueKey, reason } = this.queueForLine(o, line)
      if (queueKey === null) {
        line.noEntryReason = reason
      } else {
        const earn = this.lineEarnsEntitlement(o)
        const { bps, rule } = this.rewardRatio(o, line)
        const extBps = this.extractionRatio(o, line)
        const q = this.queue(queueKey)
        line.queueKey = queueKey
        line.seq = q.nextSeq++
        if (!firstSeq.has(queueKey)) firstSeq.set(queueKey, line.seq)
        line.payBelowSeq = firstSeq.get(queueKey) as number
        line.rewardBps = bps
        line.ruleCode = rule
        line.entitlementFen = earn === null ? bpsOf(line.payFen, bps) : 0
        line.extractionFen = bpsOf(line.payFen, extBps)
        line.noEntryReason = earn ?? (line.entitlementFen === 0 ? 'zero_entitlement' : null)
        if (line.noEntryReason === null) {
          this.entries.push({
            orderHandle: o.handle,
            lineNo: line.lineNo,
            queueKey,
            seq: line.seq,
            member: o.member,
            entitlementFen: line.entitlementFen,
            receivedFen: 0,
            closedFen: 0,
            status: 'waiting',
            orderCompleted: false,
          })
        }
      }
      if (settleNow) this.settleLine(o, line)
    }
    return 'paid'
  }

  complete(handle: string): 'completed' | 'replayed' {
    const o = this.order(handle)
    if (o.status === 'completed') return 'replayed'
    if (o.status !== 'paid') throw new ModelError('order_not_completable')
    o.status = 'completed'
    for (const line of o.lines) {
      if (line.refunded) continue
      const e = this.entryOf(o.handle, line.lineNo)
      if (e && e.status === 'waiting') e.orderCompleted = true
      if (!line.settled) this.settleLine(o, line)
    }
    return 'completed'
  }

  refund(handle: string, refundRef: string, lineNos: number[] | null = null): ModelRefund & { replayed: boolean } {
    const o = this.order(handle)
    const prior = this.refunds.get(refundRef)
    if (prior) {
      if (prior.orderHandle !== handle) throw new ModelError('refund_ref_conflict')
      return { ...prior, replayed: true }
    }
    if (o.status !== 'paid' && o.status !== 'completed') throw new ModelError('order_not_refundable')
    if (lineNos !== null) {
      const unique = new Set(lineNos)
      if (lineNos.length === 0 || unique.size !== lineNos.length
          || lineNos.some((n) => !o.lines.some((l) => l.lineNo === n && !l.refunded))) {
        throw new ModelError('invalid_refund_lines')
      }
    }
    const lines = o.lines.filter((l) => !l.refunded && (lineNos === null || lineNos.includes(l.lineNo)))
    if (lines.length === 0) throw new ModelError('nothing_to_refund')
    const r: ModelRefund = {
      orderHandle: handle, lineNos: lines.map((l) => l.lineNo), refundFen: 0, clawbackFen: 0, shortfallFen: 0,
      costFen: 0, pointsReturned: 0, loveReturnedFen: 0,
    }
    for (const line of lines) {
      const e = this.entryOf(o.handle, line.lineNo)
      const received = e ? e.receivedFen : 0
      if (e && e.status === 'waiting') {
        e.status = 'voided'
        e.closedFen = e.entitlementFen - e.receivedFen
      }
      const claw = Math.min(line.payFen, received)
      line.refunded = true
      line.refundFen = line.payFen - claw
      line.clawbackFen = claw
      line.shortfallFen = received - claw
      line.costFen = line.settled ? line.distributedFen : 0
      r.refundFen += line.refundFen
      r.clawbackFen += line.clawbackFen
      r.shortfallFen += line.shortfallFen
      r.costFen += line.costFen
      r.pointsReturned += line.pointsDeductFen
      r.loveReturnedFen += line.loveDeductFen
    }
    const w = this.wallet(o.member)
    w.points += r.pointsReturned
    w.loveFen += r.loveReturnedFen
    o.refundedFen += r.refundFen
    if (o.lines.every((l) => l.refunded)) o.status = 'refunded'
    this.refunds.set(refundRef, r)
    return { ...r, replayed: false }
  }

  cancel(handle: string): 'cancelled' | 'replayed' {
    const o = this.order(handle)
    if (o.status === 'cancelled') return 'replayed'
    if (o.status !== 'pending') throw new ModelError('order_not_cancellable')
    o.status = 'cancelled'
    const w = this.wallet(o.member)
    w.points += o.pointsDeductFen
    w.loveFen += o.loveDeductFen
    return 'cancelled'
  }

  // ------------------------------------------------------------ the rules

  /** Which queue a paid line joins (SPEC §3), or why it does not. */
  queueForLine(o: ModelOrder, line: ModelLine): { queueKey: string | null; reason: string | null } {
    const s = this.settings
    if (!s.enabled) return { queueKey: null, reason: 'plugin_off' }
    const p = line.productId === null ? null : this.product(line.productId)
    if (p) {
      if (!p.listed) return { queueKey: null, reason: 'product_delisted' }
      if (!p.rebateEnabled) return { queueKey: null, reason: 'product_rebate_off' }
    }
    const store = o.storeId === null ? null : this.stores.get(o.storeId) ?? null
    if (store && !store.approved) return { queueKey: null, reason: 'store_not_approved' }
    if (o.channel === 'mall') {
      const key = s.merchantQueue ? 'mall' : this.productQueueKey((p as ModelProduct).id)
      if (this.queue(key).closed) return { queueKey: null, reason: 'queue_closed' }
      return { queueKey: key, reason: null }
    }
    if (o.channel === 'store') {
      if (!(store as ModelStore).rebateEnabled) return { queueKey: null, reason: 'store_rebate_off' }
      return { queueKey: s.allStoresQueue ? 'stores' : `store:${o.storeId}`, reason: null }
    }
    const cashier = (store as ModelStore).cashier as ModelCashier
    if (!cashier.rebateEnabled) return { queueKey: null, reason: 'cashier_rebate_off' }
    return { queueKey: s.allCashiersQueue ? 'cashiers' : `cashier:${cashier.id}`, reason: null }
  }

  /** null when the line earns an entitlement, else why not (§5.4). */
  lineEarnsEntitlement(o: ModelOrder): string | null {
    if (!this.settings.deductionParticipates && (o.pointsDeductFen > 0 || o.loveDeductFen > 0)) return 'deduction_excluded'
    return null
  }

  rewardRatio(o: ModelOrder, line: ModelLine): { bps: number; rule: string } {
    const p = line.productId === null ? null : this.product(line.productId)
    if (o.channel === 'mall' && p && p.rewardBps !== null) return { bps: p.rewardBps, rule: 'product_ratio' }
    if (o.channel === 'store') {
      if (p && p.rewardBps !== null) return { bps: p.rewardBps, rule: 'store_product_ratio' }
      const s = this.stores.get(o.storeId as number) as ModelStore
      if (s.rewardBps !== null) return { bps: s.rewardBps, rule: 'store_ratio' }
    }
    if (o.channel === 'cashier') {
      const c = (this.stores.get(o.storeId as number) as ModelStore).cashier as ModelCashier
      if (c.rewardBps !== null) return { bps: c.rewardBps, rule: 'cashier_ratio' }
    }
    return { bps: this.settings.defaultRewardBps, rule: 'plugin_default' }
  }

  extractionRatio(o: ModelOrder, line: ModelLine): number {
    const p = line.productId === null ? null : this.product(line.productId)
    if (p && p.extractionBps !== null) return p.extractionBps
    const s = o.storeId === null ? null : (this.stores.get(o.storeId) as ModelStore)
    if (o.channel === 'store' && s && s.extractionBps !== null) return s.extractionBps
    if (o.channel === 'cashier' && s && s.cashier && s.cashier.extractionBps !== null) return s.cashier.extractionBps
    return this.settings.extractionBps
  }

  /** The settlement event of one line: its extraction pays the queue ahead of its order (§1.2). */
  private settleLine(o: ModelOrder, line: ModelLine): void {
    line.settled = true
    if (line.queueKey === null || line.extractionFen === 0) return
    const s = this.settings
    const q = this.queue(line.queueKey)
    let left = line.extractionFen
    let reason: RetainReason | null = !s.enabled ? 'plugin_off' : s.paused ? 'paused' : q.closed ? 'queue_closed' : null
    if (reason === null) {
      const eligible = this.entries
        .filter((e) => e.queueKey === line.queueKey && e.status === 'waiting' && e.seq < (line.payBelowSeq as number)
          && (s.rewardRule === 'queue_order' || e.orderCompleted))
        .sort((a, b) => a.seq - b.seq)
      for (const e of eligible) {
        const amount = Math.min(left, e.entitlementFen - e.receivedFen)
        e.receivedFen += amount
        if (e.receivedFen === e.entitlementFen) e.status = 'completed'
        this.distributions.push({
          sourceOrder: o.handle, sourceLineNo: line.lineNo, entryOrder: e.orderHandle, entryLineNo: e.lineNo,
          member: e.member, amountFen: amount,
        })
        this.wallet(e.member).cashFen += amount
        line.distributedFen += amount
        left -= amount
        if (left === 0) break
      }
      reason = 'no_waiting_entry'
    }
    q.extractedFen += line.extractionFen
    q.distributedFen += line.distributedFen
    if (left > 0) {
      line.retainedFen = left
      q.retainedFen += left
      this.retentions.push({ orderHandle: o.handle, lineNo: line.lineNo, amountFen: left, reason })
    }
  }

  // ------------------------------------------------------------ lookups

  order(handle: string): ModelOrder {
    const o = this.orders.get(handle)
    if (!o) throw new ModelError('order_not_found')
    return o
  }

  entryOf(handle: string, lineNo: number): ModelEntry | undefined {
    return this.entries.find((e) => e.orderHandle === handle && e.lineNo === lineNo)
  }

  private product(id: number): ModelProduct {
    const p = this.products.get(id)
    if (!p) throw new ModelError('product_not_found')
    return p
  }

  private queue(key: string): ModelQueue {
    const q = this.queues.get(key)
    if (!q) throw new Error(`no queue ${key}`)
    return q
  }

  private openQueue(key: string): void {
    this.queues.set(key, { key, nextSeq: 1, closed: false, extractedFen: 0, distributedFen: 0, retainedFen: 0 })
  }

  private productQueueKey(id: number): string {
    return `product:${id}#${this.productGeneration.get(id) ?? 1}`
  }

  private openProductQueue(id: number): void {
    const gen = (this.productGeneration.get(id) ?? 0) + 1
    this.productGeneration.set(id, gen)
    this.openQueue(`product:${id}#${gen}`)
  }
}

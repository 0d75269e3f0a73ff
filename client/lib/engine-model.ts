import DecimalBase from 'decimal.js'

/**
 * A reference model of the queue rebate engine (SPEC §1–3, §5, §10) and of its entitlement
 * rules (SPEC §4–9: ratio chains, member levels, tiers, lottery, windows, limits, random
 * return, clearing, exchange, points transfer), in pure TypeScript.
 *
 * It is not what moves money — Postgres does (supabase/schemas/07_settlement.sql, rebate.settle_order). It
 * states the same rules a second time, as plainly as possible, so that a property test can
 * run random sequences of orders, payments, completions and refunds through both and demand
 * identical entries, distributions, retained amounts and wallets. The client may also use
 * it to preview amounts (e.g. the entitlement an order would earn).
 *
 * Money is integer fen, ratios are basis points; products of amounts and ratios are exact
 * with decimal.js and rounded half-up to the fen once (SPEC §2).
 *
 * What the server decides at random (a lottery's drawn ratio, which joins of a random-return
 * group convert to points) comes into the model from outside: draw() takes the drawn ratio
 * and checks it is one the configuration allows; pay() takes a decider for random return and
 * checks every decision keeps each group exact. Time (reward windows, tier windows, limits
 * per day) is the model's clock, Asia/Shanghai days.
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
export type LotteryMode = 'off' | 'fixed' | 'interval'
export type ExchangeTarget = 'points' | 'love'

/** Cumulative-spend tier: the member's completed spend over the last `days` Shanghai days ≥ minFen → bps. */
export interface Tier { days: number; minFen: number; bps: number }
export interface LotteryOption { bps: number; weight: number }
/** Daily window in Shanghai wall-clock time ('HH:MM', end exclusive, '24:00' allowed) or an absolute period. */
export type RewardWindow = { start: string; end: string } | { from: string; to: string }

/** The independent settings (独立设置) of a product, store or cashier (SPEC §4, §5). */
export interface RuleFields {
  levelRewardBps?: Record<string, number>
  tiers?: Tier[]
  lotteryMode?: LotteryMode
  lotteryOptions?: LotteryOption[]
  lotteryMinBps?: number
  lotteryMaxBps?: number
  rewardWindows?: RewardWindow[]
  dailyLimit?: number | null
  totalLimit?: number | null
}

/** A store's or cashier's own random return setting (SPEC §5, §7). */
export interface RandomOverride { mode: 'inherit' | 'on' | 'off'; cashCount: number; pointsCount: number }

export type LotteryConfig =
  | { mode: 'fixed'; options: LotteryOption[] }
  | { mode: 'interval'; minBps: number; maxBps: number }

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
  levelRewardBps: Record<string, number>
  lotteryMode: LotteryMode
  lotteryOptions: LotteryOption[]
  lotteryMinBps: number
  lotteryMaxBps: number
  pointsExchangeBps: number
  loveExchangeBps: number
  loveExchangeFrozen: boolean
  randomReturnEnabled: boolean
  randomCashCount: number
  randomPointsCount: number
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
  levelRewardBps: {},
  lotteryMode: 'off',
  lotteryOptions: [],
  lotteryMinBps: 1000,
  lotteryMaxBps: 10000,
  pointsExchangeBps: 10000,
  loveExchangeBps: 10000,
  loveExchangeFrozen: false,
  randomReturnEnabled: false,
  randomCashCount: 1,
  randomPointsCount: 0,
}

export interface ModelProduct extends RuleFields {
  id: number
  kind: 'self' | 'supplier' | 'supply_chain' | 'store'
  storeId: number | null
  priceFen: number
  listed: boolean
  rebateEnabled: boolean
  rewardBps: number | null
  extractionBps: number | null
}

export interface ModelCashier extends RuleFields {
  id: number
  rebateEnabled: boolean
  rewardBps: number | null
  extractionBps: number | null
  random?: RandomOverride
}

export interface ModelStore extends RuleFields {
  id: number
  approved: boolean
  rebateEnabled: boolean
  rewardBps: number | null
  extractionBps: number | null
  cashier: ModelCashier | null
  random?: RandomOverride
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
  /** when it completed (model clock, ms), for cumulative spend */
  completedAt: number | null
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
  baseFen: number
  rewardBps: number
  ruleCode: string
  /** Shanghai day number when it joined (limits per day) */
  createdDay: number
  drawnBps: number | null
  /** what an exchange or a random return gave */
  converted: { asset: 'points' | 'love' | 'love_frozen'; amount: number; by: 'exchange' | 'random_return' } | null
}

export interface ModelRandomGroup {
  queueKey: string
  groupNo: number
  size: number
  pointsCount: number
  joined: number
  converted: number
  endReason: 'full' | 'abandoned' | null
}

/** Decides whether the next join of a random-return group converts to points. */
export type RandomDecider = (entry: ModelEntry, pointsLeft: number, placesLeft: number) => boolean

export interface ExchangeTerms {
  remainingFen: number
  ratioBps: number
  amount: number
  asset: 'points' | 'love' | 'love_frozen'
  frozen: boolean
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
  loveFrozenFen: number
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
  readonly randomGroups: ModelRandomGroup[] = []
  /** member → level id (0 unless set) */
  readonly memberLevels = new Map<string, number>()
  /** `${kind}:${id}:${member}` → entries counted at a limited target */
  private readonly limitCounts = new Map<string, { day: number; dayCount: number; totalCount: number }>()
  /** generation of each product's queue: a relisted product gets a new one */
  private readonly productGeneration = new Map<number, number>()
  /** the model's clock (ms since the epoch) */
  clock: () => number = () => Date.now()
  /** random return decisions; by default a fair coin weighted by points left / places left */
  decider: RandomDecider = (_e, pointsLeft, placesLeft) => Math.random() * placesLeft < pointsLeft

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
      w = { cashFen: 0, points: 0, loveFen: 0, loveFrozenFen: 0 }
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
      completedAt: null,
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
  pay(handle: string, decider: RandomDecider = this.decider): 'paid' | 'replayed' {
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
        const earn = this.lineEarnsEntitlement(o, line)
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
          const entry: ModelEntry = {
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
            baseFen: line.payFen,
            rewardBps: bps,
            ruleCode: rule,
            createdDay: shanghaiDay(this.clock()),
            drawnBps: null,
            converted: null,
          }
          this.entries.push(entry)
          this.afterEntryJoined(entry, decider)
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
    o.completedAt = this.clock()
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
    // what an exchange or a random return gave for a refunded line is taken back, as far as the balance allows
    for (const line of lines) {
      const e = this.entryOf(o.handle, line.lineNo)
      if (!e || !e.converted || e.converted.amount === 0) continue
      const w = this.wallet(e.member)
      const key = e.converted.asset === 'points' ? 'points' : e.converted.asset === 'love' ? 'loveFen' : 'loveFrozenFen'
      w[key] -= Math.min(e.converted.amount, w[key])
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

  /**
   * null when the line earns an entitlement, else why not: deduction_excluded (§5.4),
   * outside_reward_window, limit_reached (§5 独立设置). A line that earns under a limit takes
   * its place.
   */
  lineEarnsEntitlement(o: ModelOrder, line?: ModelLine): string | null {
    if (!this.settings.deductionParticipates && (o.pointsDeductFen > 0 || o.loveDeductFen > 0)) return 'deduction_excluded'
    if (!line) return null
    const now = this.clock()
    const { a, aKind, aId, b } = this.targetsOf(o, line)
    if ((a.rewardWindows ?? []).length > 0 && !inRewardWindow(a.rewardWindows ?? [], now)) return 'outside_reward_window'
    if (b && (b.rewardWindows ?? []).length > 0 && !inRewardWindow(b.rewardWindows ?? [], now)) return 'outside_reward_window'
    const aLimited = isLimited(a)
    const bLimited = b !== null && isLimited(b)
    if (!aLimited && !bLimited) return null
    if (bpsOf(line.payFen, this.rewardRatio(o, line).bps) === 0) return null
    const day = shanghaiDay(now)
    if ((aLimited && !this.limitAllows(o.member, aKind, aId, a, day))
        || (bLimited && !this.limitAllows(o.member, 'store', o.storeId as number, b as RuleFields, day))) {
      return 'limit_reached'
    }
    if (aLimited) this.limitTake(o.member, aKind, aId, day)
    if (bLimited) this.limitTake(o.member, 'store', o.storeId as number, day)
    return null
  }

  /** Reward ratio and rule: the priority chains of SPEC §4. */
  rewardRatio(o: ModelOrder, line: ModelLine): { bps: number; rule: string } {
    const s = this.settings
    const level = String(this.memberLevels.get(o.member) ?? 0)
    const { a, b } = this.targetsOf(o, line)
    const aLevel = (a.levelRewardBps ?? {})[level]
    const plugLevel = s.levelRewardBps[level]
    const today = shanghaiDay(this.clock())
    const tier = (t: RuleFields, storeKey: number | null) => this.tierRatio(t.tiers ?? [], o.member, storeKey, today)
    const on = (t: RuleFields) => (t.lotteryMode ?? 'off') !== 'off'
    if (o.channel === 'mall') {
      const p = a as ModelProduct
      if (aLevel !== undefined) return { bps: aLevel, rule: 'product_level' }
      if (plugLevel !== undefined) return { bps: plugLevel, rule: 'plugin_level' }
      const t = tier(p, null)
      if (t !== null) return { bps: t, rule: 'product_tier' }
      const fallback = p.rewardBps ?? s.defaultRewardBps
      if (on(p)) return { bps: fallback, rule: 'product_lottery' }
      if (s.lotteryMode !== 'off') return { bps: fallback, rule: 'plugin_lottery' }
      if (p.rewardBps !== null) return { bps: p.rewardBps, rule: 'product_ratio' }
    } else if (o.channel === 'store') {
      const p = a as ModelProduct
      const st = b as ModelStore
      if (aLevel !== undefined) return { bps: aLevel, rule: 'store_product_level' }
      const bLevel = (st.levelRewardBps ?? {})[level]
      if (bLevel !== undefined) return { bps: bLevel, rule: 'store_level' }
      if (plugLevel !== undefined) return { bps: plugLevel, rule: 'plugin_level' }
      let t = tier(p, st.id)
      if (t !== null) return { bps: t, rule: 'store_product_tier' }
      t = tier(st, st.id)
      if (t !== null) return { bps: t, rule: 'store_tier' }
      const fallback = p.rewardBps ?? st.rewardBps ?? s.defaultRewardBps
      if (on(p)) return { bps: fallback, rule: 'store_product_lottery' }
      if (on(st)) return { bps: fallback, rule: 'store_lottery' }
      if (s.lotteryMode !== 'off') return { bps: fallback, rule: 'plugin_lottery' }
      if (p.rewardBps !== null) return { bps: p.rewardBps, rule: 'store_product_ratio' }
      if (st.rewardBps !== null) return { bps: st.rewardBps, rule: 'store_ratio' }
    } else {
      const c = a as ModelCashier
      if (aLevel !== undefined) return { bps: aLevel, rule: 'cashier_level' }
      if (plugLevel !== undefined) return { bps: plugLevel, rule: 'plugin_level' }
      const t = tier(c, o.storeId)
      if (t !== null) return { bps: t, rule: 'cashier_tier' }
      const fallback = c.rewardBps ?? s.defaultRewardBps
      if (on(c)) return { bps: fallback, rule: 'cashier_lottery' }
      if (s.lotteryMode !== 'off') return { bps: fallback, rule: 'plugin_lottery' }
      if (c.rewardBps !== null) return { bps: c.rewardBps, rule: 'cashier_ratio' }
    }
    return { bps: s.defaultRewardBps, rule: 'plugin_default' }
  }

  /** The highest qualifying tier's ratio, or null; mall spend when storeKey is null, else that store's. */
  tierRatio(tiers: Tier[], member: string, storeKey: number | null, today: number): number | null {
    let best: number | null = null
    for (const t of tiers) {
      let sum = 0
      for (const o of this.orders.values()) {
        if (o.member !== member || o.status !== 'completed' || o.completedAt === null) continue
        if (storeKey === null ? o.channel !== 'mall' : o.channel === 'mall' || o.storeId !== storeKey) continue
        if (shanghaiDay(o.completedAt) < today - t.days + 1) continue
        sum += o.payFen - o.refundedFen
      }
      if (sum >= t.minFen && (best === null || t.bps > best)) best = t.bps
    }
    return best
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

  // ------------------------------------------------------------ rules: member actions, clearing

  setMemberLevel(member: string, level: number): void {
    this.memberLevels.set(member, level)
  }

  /** Changes a product's, store's or cashier's independent settings; a limit change recounts. */
  setRule(target: 'product' | 'store' | 'cashier', id: number, patch: Partial<RuleFields> & { random?: RandomOverride }): void {
    const t: RuleFields & { random?: RandomOverride } = target === 'product' ? this.product(id)
      : target === 'store' ? this.stores.get(id) as ModelStore
        : [...this.stores.values()].find((s) => s.cashier?.id === id)?.cashier as ModelCashier
    Object.assign(t, patch)
    if ('dailyLimit' in patch || 'totalLimit' in patch) this.refreshLimitCounts(target, id)
  }

  /** The configuration a draw for this entry uses now, or null (not a lottery rule, or switched off). */
  lotteryConfig(e: ModelEntry): LotteryConfig | null {
    const o = this.order(e.orderHandle)
    const line = o.lines[e.lineNo - 1]
    let t: RuleFields
    if (e.ruleCode === 'plugin_lottery') {
      const s = this.settings
      t = { lotteryMode: s.lotteryMode, lotteryOptions: s.lotteryOptions, lotteryMinBps: s.lotteryMinBps, lotteryMaxBps: s.lotteryMaxBps }
    } else if (e.ruleCode === 'product_lottery' || e.ruleCode === 'store_product_lottery') {
      t = this.product(line.productId as number)
    } else if (e.ruleCode === 'store_lottery') {
      t = this.stores.get(o.storeId as number) as ModelStore
    } else if (e.ruleCode === 'cashier_lottery') {
      t = (this.stores.get(o.storeId as number) as ModelStore).cashier as ModelCashier
    } else {
      return null
    }
    if (t.lotteryMode === 'fixed') return { mode: 'fixed', options: t.lotteryOptions ?? [] }
    if (t.lotteryMode === 'interval') return { mode: 'interval', minBps: t.lotteryMinBps ?? 1000, maxBps: t.lotteryMaxBps ?? 10000 }
    return null
  }

  /**
   * The member's one draw for an entry (SPEC §6), with the ratio the server drew: refused as
   * the server refuses; a drawn ratio the configuration cannot give is a model error.
   */
  draw(handle: string, lineNo: number, drawnBps: number): { previousBps: number; entitlementFen: number } {
    const e = this.entryOf(handle, lineNo)
    if (!e) throw new ModelError('entry_not_found')
    if (!e.ruleCode.endsWith('_lottery')) throw new ModelError('lottery_not_available')
    if (e.drawnBps !== null) throw new ModelError('lottery_already_drawn')
    if (e.status !== 'waiting') throw new ModelError('entry_not_waiting')
    if (e.receivedFen > 0) throw new ModelError('entry_already_received')
    const config = this.lotteryConfig(e)
    if (!config) throw new ModelError('lottery_off')
    const allowed = config.mode === 'fixed'
      ? config.options.some((x) => x.bps === drawnBps)
      : Number.isInteger(drawnBps) && drawnBps >= config.minBps && drawnBps <= config.maxBps
    if (!allowed) throw new Error(`drawn ratio ${drawnBps} is not in ${JSON.stringify(config)}`)
    const previousBps = e.rewardBps
    const ent = Math.max(1, bpsOf(e.baseFen, drawnBps))
    const line = this.order(handle).lines[lineNo - 1]
    e.drawnBps = drawnBps
    e.rewardBps = drawnBps
    e.entitlementFen = ent
    line.rewardBps = drawnBps
    line.entitlementFen = ent
    return { previousBps, entitlementFen: ent }
  }

  /** What exchanging a waiting entry's remaining entitlement would give (SPEC §9); refusals as the server's. */
  exchangeTerms(handle: string, lineNo: number, target: ExchangeTarget): ExchangeTerms {
    const e = this.entryOf(handle, lineNo)
    if (!e) throw new ModelError('entry_not_found')
    if (e.status !== 'waiting') throw new ModelError('entry_not_waiting')
    const s = this.settings
    const ratioBps = target === 'points' ? s.pointsExchangeBps : s.loveExchangeBps
    if (ratioBps === 0) throw new ModelError('exchange_off')
    const remainingFen = e.entitlementFen - e.receivedFen
    const amount = bpsOf(remainingFen, ratioBps)
    if (amount === 0) throw new ModelError('exchange_amount_zero')
    const frozen = target === 'love' && s.loveExchangeFrozen
    return { remainingFen, ratioBps, amount, asset: target === 'points' ? 'points' : frozen ? 'love_frozen' : 'love', frozen }
  }

  /** The exchange itself: final, the entry leaves the queue (已兑换). */
  exchange(handle: string, lineNo: number, target: ExchangeTarget): ExchangeTerms {
    const t = this.exchangeTerms(handle, lineNo, target)
    const e = this.entryOf(handle, lineNo) as ModelEntry
    e.status = 'exchanged'
    e.closedFen = t.remainingFen
    e.converted = { asset: t.asset, amount: t.amount, by: 'exchange' }
    this.credit(e.member, t.asset, t.amount)
    return t
  }

  /** Points from one member to another. */
  transferPoints(from: string, to: string, points: number): void {
    if (!Number.isInteger(points) || points < 1 || points > MAX_ORDER_FEN) throw new ModelError('invalid_points')
    if (from === to) throw new ModelError('transfer_to_self')
    const w = this.wallet(from)
    if (w.points < points) throw new ModelError('insufficient_points')
    w.points -= points
    this.wallet(to).points += points
  }

  /** A clearing run (SPEC §8): every waiting entry forfeits its remaining entitlement. */
  clear(): { clearedCount: number; forfeitedFen: number } {
    let clearedCount = 0
    let forfeitedFen = 0
    for (const e of this.entries) {
      if (e.status !== 'waiting') continue
      e.status = 'cleared'
      e.closedFen = e.entitlementFen - e.receivedFen
      clearedCount += 1
      forfeitedFen += e.closedFen
    }
    return { clearedCount, forfeitedFen }
  }

  /** Random return (SPEC §7), right after an entry joined: its queue's current group takes it. */
  private afterEntryJoined(e: ModelEntry, decider: RandomDecider): void {
    const s = this.settings
    let on = s.randomReturnEnabled
    let cash = s.randomCashCount
    let points = s.randomPointsCount
    const [scope, ref] = e.queueKey.split(':')
    let override: RandomOverride | undefined
    if (scope === 'store') override = this.stores.get(Number(ref))?.random
    if (scope === 'cashier') override = [...this.stores.values()].find((x) => x.cashier?.id === Number(ref))?.cashier?.random
    if (override && override.mode !== 'inherit') {
      on = override.mode === 'on'
      cash = override.cashCount
      points = override.pointsCount
    }
    if (!on) return
    const mine = this.randomGroups.filter((g) => g.queueKey === e.queueKey)
    let g = mine.find((x) => x.endReason === null)
    if (g && (g.size !== cash + points || g.pointsCount !== points)) {
      g.endReason = 'abandoned'
      g = undefined
    }
    if (!g) {
      g = { queueKey: e.queueKey, groupNo: mine.length + 1, size: cash + points, pointsCount: points, joined: 0, converted: 0, endReason: null }
      this.randomGroups.push(g)
    }
    const pointsLeft = g.pointsCount - g.converted
    const placesLeft = g.size - g.joined
    const convert = pointsLeft > 0 && decider(e, pointsLeft, placesLeft)
    if (pointsLeft === placesLeft && !convert) throw new Error(`random return group ${e.queueKey}#${g.groupNo} would miss a points place`)
    g.joined += 1
    if (convert) g.converted += 1
    if (g.joined === g.size) g.endReason = 'full'
    if (!convert) return
    const amount = bpsOf(e.entitlementFen, s.pointsExchangeBps)
    e.status = 'completed'
    e.closedFen = e.entitlementFen
    e.converted = { asset: 'points', amount, by: 'random_return' }
    this.wallet(e.member).points += amount
  }

  private credit(member: string, asset: 'points' | 'love' | 'love_frozen', amount: number): void {
    const w = this.wallet(member)
    if (asset === 'points') w.points += amount
    else if (asset === 'love') w.loveFen += amount
    else w.loveFrozenFen += amount
  }

  /** The rule holders of a line: a = the product (mall, store online) or the cashier; b = the store (store online). */
  private targetsOf(o: ModelOrder, line: ModelLine): { a: RuleFields; aKind: 'product' | 'cashier'; aId: number; b: ModelStore | null } {
    if (o.channel === 'cashier') {
      const c = (this.stores.get(o.storeId as number) as ModelStore).cashier as ModelCashier
      return { a: c, aKind: 'cashier', aId: c.id, b: null }
    }
    const p = this.product(line.productId as number)
    return { a: p, aKind: 'product', aId: p.id, b: o.channel === 'store' ? this.stores.get(o.storeId as number) as ModelStore : null }
  }

  private limitAllows(member: string, kind: string, id: number, t: RuleFields, day: number): boolean {
    const c = this.limitCounts.get(`${kind}:${id}:${member}`)
    const dayCount = c && c.day === day ? c.dayCount : 0
    const total = c ? c.totalCount : 0
    return (t.dailyLimit == null || dayCount < t.dailyLimit) && (t.totalLimit == null || total < t.totalLimit)
  }

  private limitTake(member: string, kind: string, id: number, day: number): void {
    const key = `${kind}:${id}:${member}`
    const c = this.limitCounts.get(key)
    if (!c) this.limitCounts.set(key, { day, dayCount: 1, totalCount: 1 })
    else {
      c.dayCount = c.day === day ? c.dayCount + 1 : 1
      c.day = day
      c.totalCount += 1
    }
  }

  /** Recounts a target's entries per member (when its limits change); kept only while it has a limit. */
  private refreshLimitCounts(kind: 'product' | 'store' | 'cashier', id: number): void {
    for (const key of [...this.limitCounts.keys()]) if (key.startsWith(`${kind}:${id}:`)) this.limitCounts.delete(key)
    const t: RuleFields = kind === 'product' ? this.product(id) : kind === 'store' ? this.stores.get(id) as ModelStore
      : [...this.stores.values()].find((s) => s.cashier?.id === id)?.cashier as ModelCashier
    if (!isLimited(t)) return
    const today = shanghaiDay(this.clock())
    for (const e of this.entries) {
      const o = this.order(e.orderHandle)
      const line = o.lines[e.lineNo - 1]
      const hit = kind === 'product' ? line.productId === id
        : kind === 'store' ? o.channel === 'store' && o.storeId === id
          : o.channel === 'cashier' && (this.stores.get(o.storeId as number) as ModelStore).cashier?.id === id
      if (!hit) continue
      const key = `${kind}:${id}:${e.member}`
      const c = this.limitCounts.get(key) ?? { day: today, dayCount: 0, totalCount: 0 }
      c.totalCount += 1
      if (e.createdDay === today) c.dayCount += 1
      this.limitCounts.set(key, c)
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

// ------------------------------------------------------------ time and windows (Asia/Shanghai)

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000
const DAY_MS = 86400 * 1000

/** The Asia/Shanghai calendar day (days since 1970-01-01) of an instant. */
export function shanghaiDay(ms: number): number {
  return Math.floor((ms + SHANGHAI_OFFSET_MS) / DAY_MS)
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return h * 60 + m
}

/** Whether an instant lies in one of the reward windows ([] = always), Shanghai wall clock. */
export function inRewardWindow(windows: RewardWindow[], ms: number): boolean {
  if (windows.length === 0) return true
  const local = (((ms + SHANGHAI_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS
  for (const w of windows) {
    if ('start' in w) {
      const s = minutesOf(w.start) * 60000
      const e = minutesOf(w.end) * 60000
      if ((s < e && local >= s && local < e) || (s > e && (local >= s || local < e))) return true
    } else if (ms >= Date.parse(w.from) && ms < Date.parse(w.to)) {
      return true
    }
  }
  return false
}

function isLimited(t: RuleFields): boolean {
  return t.dailyLimit != null || t.totalLimit != null
}

/**
 * The projection engine (docs/projection.md): when will the waiting entries of a queue be paid
 * in full, as a range, from the queue's own recent inflow.
 *
 * Pure and deterministic given a seed: no clock, no Math.random, no I/O. The mini-program, the
 * console and the `projection` edge function (Deno) import this one file; it imports nothing.
 *
 * Method, in short: a queue is paid strictly in order, so an entry completes on the first day
 * the queue's cumulative future inflow S(d) reaches C = what the eligible entries ahead of it
 * still need plus its own remainder. S(d) is simulated `runs` times, day by day, each day's
 * inflow drawn from the observed days (bootstrap, optional linear trend). Because every run's
 * S is non-decreasing, the p-quantile of the completion day of an amount C is the first day on
 * which at least p·runs runs have S(d) ≥ C: one threshold curve per quantile (365 values),
 * and every entry is a binary search on it. The cost is runs × days for the simulation plus
 * entries × log(days) for the answers, whatever the length of the queue.
 */

/** Fewer full days of history than this: 无法估计 (the rate of one short week is no basis). */
export const MIN_HISTORY_DAYS = 7
/** Completion later than this many days is reported as null (beyond the horizon). */
export const HORIZON_DAYS = 365
/** Days of history the bootstrap draws from (the most recent ones). */
export const DEFAULT_WINDOW_DAYS = 30
export const DEFAULT_RUNS = 1000
/** The quantiles reported: P10 / P50 / P90, so [P10, P90] is the 80% interval. */
export const QUANTILES = [0.1, 0.5, 0.9] as const

export type Trend = 'none' | 'linear'

export interface ProjectionSettings {
  /** 队列奖励暂停: extraction is retained, nothing is paid (SPEC §5.18) */
  paused: boolean
  /** the queue no longer takes orders (a delisted product's queue) */
  closed?: boolean
  /**
   * Time from now until the next clearing (清零) in days (fractional), or null when clearing
   * is off. Entries not paid in full by then are forfeited.
   */
  clearingInDays: number | null
}

export interface ProjectionOptions {
  seed: number
  runs?: number
  horizonDays?: number
  windowDays?: number
  minHistoryDays?: number
  trend?: Trend
  /**
   * Two-stage bootstrap (default on): each run first resamples the observed days, then draws
   * its days from that resample, so the uncertainty of the rate itself (a month of history is
   * a small sample) widens the range as it should; off, every run draws from the same days.
   */
  rateUncertainty?: boolean
}

export type UnknownReason = 'short_history' | 'no_inflow' | 'paused' | 'queue_closed'

/** Why there is no estimate, as the member reads it. */
export const UNKNOWN_REASON_TEXT: Record<UnknownReason, string> = {
  short_history: `队列的历史不足 ${MIN_HISTORY_DAYS} 天，无法估计`,
  no_inflow: '近期没有新订单为队列返现，无法估计',
  paused: '队列奖励暂停中，暂停期间不返现，无法估计',
  queue_closed: '该队列已关闭，不再有订单返现，无法估计',
}

export interface QueueModelOk {
  kind: 'ok'
  runs: number
  horizonDays: number
  historyDays: number
  windowDays: number
  trend: Trend
  rateUncertainty: boolean
  /** mean simulated inflow per day over the horizon, fen (for 说明 texts) */
  meanDailyFen: number
  /**
   * thresholds[q][d-1]: an amount C is paid by day d in at least QUANTILES[q] of the runs iff
   * C ≤ thresholds[q][d-1]. Non-decreasing in d.
   */
  thresholds: Float64Array[]
  /** the day clearing happens (fractional, from now), or null */
  clearingInDays: number | null
  /** per run, the cumulative inflow paid out before the clearing, sorted ascending (null: no clearing) */
  beforeClearing: Float64Array | null
}

export interface QueueModelUnknown {
  kind: 'unknown'
  reason: UnknownReason
  historyDays: number
}

export type QueueModel = QueueModelOk | QueueModelUnknown

export interface AmountProjection {
  /** completion day (1 = within the next 24 h) at P10 / P50 / P90; null = not within the horizon (or not before clearing) */
  p10Day: number | null
  p50Day: number | null
  p90Day: number | null
  /** share of runs in which the amount is paid before the next clearing; null when clearing is off */
  pBeforeClearing: number | null
}

// ---------------------------------------------------------------------------------------------
// The seeded generator: sfc32 seeded through splitmix32 (small, fast, good enough for a bootstrap).

export interface Rng {
  /** uniform in [0, 1) */
  next(): number
  /** uniform integer in [0, n) */
  int(n: number): number
}

export function seededRng(seed: number): Rng {
  let s = seed >>> 0
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split()
  let b = split()
  let c = split()
  let d = split()
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) >>> 0
    return t / 4294967296
  }
  for (let i = 0; i < 12; i++) next()
  return { next, int: (n: number) => Math.floor(next() * n) }
}

/** A seed from text (queue id + hour, …): FNV-1a. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

// ---------------------------------------------------------------------------------------------
// The simulation.

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be an integer in [${min}, ${max}]`)
  return value
}

/**
 * Simulates the queue's cumulative inflow over the horizon and keeps what the answers need.
 * `dailyInflowFen`: extraction that reached the queue per full day, oldest first (the days
 * since the queue opened, at most the last 90; today's partial day excluded).
 */
export function simulateQueue(dailyInflowFen: readonly number[], settings: ProjectionSettings, options: ProjectionOptions): QueueModel {
  const runs = integer('runs', options.runs ?? DEFAULT_RUNS, 1, 1_000_000)
  const horizon = integer('horizonDays', options.horizonDays ?? HORIZON_DAYS, 1, 3650)
  const windowDays = integer('windowDays', options.windowDays ?? DEFAULT_WINDOW_DAYS, 1, 3650)
  const minHistory = integer('minHistoryDays', options.minHistoryDays ?? MIN_HISTORY_DAYS, 1, 3650)
  const trend: Trend = options.trend ?? 'none'
  for (const v of dailyInflowFen) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError('daily inflow must be finite and ≥ 0')
  }
  const historyDays = dailyInflowFen.length
  if (settings.closed) return { kind: 'unknown', reason: 'queue_closed', historyDays }
  if (settings.paused) return { kind: 'unknown', reason: 'paused', historyDays }
  if (historyDays < minHistory) return { kind: 'unknown', reason: 'short_history', historyDays }
  const sample = dailyInflowFen.slice(-windowDays)
  const n = sample.length
  if (!sample.some((v) => v > 0)) return { kind: 'unknown', reason: 'no_inflow', historyDays }

  // Linear trend (least squares over the window, t = 0 … n-1): a day's draw is the fitted
  // level of that future day plus a bootstrapped residual, never below 0.
  let level = 0
  let slope = 0
  const residual = new Float64Array(n)
  if (trend === 'linear' && n >= 2) {
    let mt = 0
    let mv = 0
    for (let i = 0; i < n; i++) {
      mt += i
      mv += sample[i]
    }
    mt /= n
    mv /= n
    let sxy = 0
    let sxx = 0
    for (let i = 0; i < n; i++) {
      sxy += (i - mt) * (sample[i] - mv)
      sxx += (i - mt) * (i - mt)
    }
    slope = sxx > 0 ? sxy / sxx : 0
    level = mv - slope * mt
    for (let i = 0; i < n; i++) residual[i] = sample[i] - (level + slope * i)
  } else {
    for (let i = 0; i < n; i++) residual[i] = sample[i]
  }
  const twoStage = options.rateUncertainty ?? true
  const pool = new Float64Array(n)
  const draw = (rng: Rng, day: number): number => {
    const e = twoStage ? pool[rng.int(n)] : residual[rng.int(n)]
    return trend === 'linear' && n >= 2 ? Math.max(0, level + slope * (n - 1 + day) + e) : e
  }

  const clearing = settings.clearingInDays
  const clearingDay = clearing === null ? null : Math.max(0, clearing)
  const rng = seededRng(options.seed)
  // cumulative[d * runs + r] = S_r(d + 1)
  const cumulative = new Float64Array(horizon * runs)
  const beforeClearing = clearingDay === null ? null : new Float64Array(runs)
  let total = 0
  for (let r = 0; r < runs; r++) {
    if (twoStage) for (let i = 0; i < n; i++) pool[i] = residual[rng.int(n)]
    let s = 0
    for (let d = 0; d < horizon; d++) {
      const x = draw(rng, d + 1)
      if (beforeClearing && clearingDay !== null && d < clearingDay) {
        // inflow of day d+1 arrives over (d, d+1]; the share before the clearing counts
        beforeClearing[r] = s + x * Math.min(1, clearingDay - d)
      }
      s += x
      cumulative[d * runs + r] = s
    }
    total += s
  }
  const thresholds = QUANTILES.map(() => new Float64Array(horizon))
  const column = new Float64Array(runs)
  for (let d = 0; d < horizon; d++) {
    column.set(cumulative.subarray(d * runs, (d + 1) * runs))
    column.sort()
    QUANTILES.forEach((q, i) => {
      thresholds[i][d] = column[runs - Math.ceil(q * runs - 1e-9)]
    })
  }
  beforeClearing?.sort()
  return {
    kind: 'ok',
    runs,
    horizonDays: horizon,
    historyDays,
    windowDays: n,
    trend,
    rateUncertainty: twoStage,
    meanDailyFen: total / runs / horizon,
    thresholds,
    clearingInDays: clearingDay,
    beforeClearing,
  }
}

/** First index i with a[i] ≥ x, or a.length. */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (a[mid] < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

function dayOf(model: QueueModelOk, q: number, needFen: number): number | null {
  if (needFen <= 0) return 0
  const i = lowerBound(model.thresholds[q], needFen)
  if (i >= model.horizonDays) return null
  const day = i + 1
  // after the clearing the entry no longer exists
  if (model.clearingInDays !== null && day - 1 >= model.clearingInDays) return null
  return day
}

/** When an amount C (eligible remaining ahead + own remaining) is paid in full. */
export function projectAmount(model: QueueModelOk, needFen: number): AmountProjection {
  let pBeforeClearing: number | null = null
  if (model.beforeClearing) {
    const a = model.beforeClearing
    pBeforeClearing = needFen <= 0 ? 1 : (a.length - lowerBound(a, needFen)) / a.length
  }
  return { p10Day: dayOf(model, 0, needFen), p50Day: dayOf(model, 1, needFen), p90Day: dayOf(model, 2, needFen), pBeforeClearing }
}

export interface QueueEntriesInput {
  /** remaining fen of the waiting entries, in queue order */
  remainingFen: ArrayLike<number>
  /** under 已完成+排队顺序: false for entries whose order is not completed (skipped by payments); absent = all eligible */
  eligible?: ArrayLike<boolean>
}

export interface EntriesProjection {
  /** cumulative eligible need up to and including each entry, fen */
  needFen: Float64Array
  /** completion day per entry at P10 / P50 / P90; 0 = beyond the horizon or after the clearing */
  p10Day: Uint16Array
  p50Day: Uint16Array
  p90Day: Uint16Array
  /** per entry, share of runs paying it before the clearing (null: no clearing) */
  pBeforeClearing: Float32Array | null
}

/**
 * Every waiting entry at once (cumulative sums + binary search). An entry skipped by the
 * reward rule does not take inflow from those behind it; its own figure assumes it becomes
 * eligible where it stands (docs/projection.md, Assumptions).
 */
export function projectEntries(model: QueueModelOk, input: QueueEntriesInput): EntriesProjection {
  const n = input.remainingFen.length
  const needFen = new Float64Array(n)
  const p10Day = new Uint16Array(n)
  const p50Day = new Uint16Array(n)
  const p90Day = new Uint16Array(n)
  const pBeforeClearing = model.beforeClearing ? new Float32Array(n) : null
  const days = [p10Day, p50Day, p90Day]
  let cum = 0
  for (let i = 0; i < n; i++) {
    const rem = input.remainingFen[i]
    const eligible = input.eligible ? input.eligible[i] : true
    const need = cum + rem
    if (eligible) cum = need
    needFen[i] = need
    for (let q = 0; q < 3; q++) days[q][i] = dayOf(model, q, need) ?? 0
    if (pBeforeClearing && model.beforeClearing) {
      const a = model.beforeClearing
      pBeforeClearing[i] = (a.length - lowerBound(a, need)) / a.length
    }
  }
  return { needFen, p10Day, p50Day, p90Day, pBeforeClearing }
}

/** Share of the entries completing within each number of days, at P50 (console: 30 / 90 / 365). */
export function shareCompletingWithin(result: EntriesProjection, withinDays: readonly number[]): number[] {
  const n = result.p50Day.length
  return withinDays.map((limit) => {
    if (n === 0) return 0
    let k = 0
    for (let i = 0; i < n; i++) {
      const d = result.p50Day[i]
      if (d > 0 && d <= limit) k++
    }
    return k / n
  })
}

// ---------------------------------------------------------------------------------------------
// What the member reads.

export interface ProjectionText {
  /** '预计 12–30 天（80% 区间）', '清零前完成的概率约 35%', '无法估计' */
  headline: string
  /** one line on how it was estimated, or why not */
  note: string
}

function percentText(p: number): string {
  if (p <= 0) return '0%'
  if (p >= 1) return '100%'
  const v = Math.round(p * 100)
  return v === 0 ? '不足 1%' : v === 100 ? '超过 99%' : `约 ${v}%`
}

export function describeProjection(model: QueueModel, p: AmountProjection | null): ProjectionText {
  if (model.kind === 'unknown') return { headline: '无法估计', note: UNKNOWN_REASON_TEXT[model.reason] }
  const basis = `按近 ${model.windowDays} 天每日返现随机模拟 ${model.runs} 次${model.trend === 'linear' ? '（含趋势）' : ''}，并非承诺`
  if (!p) return { headline: '无法估计', note: basis }
  if (p.pBeforeClearing !== null) {
    return { headline: `清零前完成的概率${percentText(p.pBeforeClearing)}`, note: `下次清零时未返完的部分将清零；${basis}` }
  }
  if (p.p10Day === null) return { headline: `预计 ${model.horizonDays} 天内难以完成`, note: `80% 区间超出 ${model.horizonDays} 天；${basis}` }
  const low = Math.max(1, p.p10Day)
  const high = p.p90Day === null ? `${model.horizonDays} 天以上` : `${Math.max(1, p.p90Day)} 天`
  const headline = p.p90Day !== null && low === p.p90Day ? `预计 ${low} 天（80% 区间）` : `预计 ${low}–${high}（80% 区间）`
  return { headline, note: `10 次中约 8 次落在此区间；${basis}` }
}

// ---------------------------------------------------------------------------------------------
// From a queue's database input (public.projection_queue_input) to a model, and the liability
// run-off the console shows. One mapping for the edge function and the console.

/** The fields of public.projection_queue_input the engine needs. */
export interface QueueProjectionInput {
  as_of: string
  closed: boolean
  plugin_on: boolean
  paused: boolean
  next_clearing_at: string | null
  daily_inflow_fen: ReadonlyArray<number | string>
}

const DAY_MS = 86_400_000

/**
 * simulateQueue for a queue as the database describes it (pause or plugin off: no payments).
 * `inflowScale` asks "what if": the same sales at another extraction ratio extract
 * proportionally more or less (new ratio ÷ current ratio).
 */
export function modelFromQueueInput(input: QueueProjectionInput, options: ProjectionOptions, inflowScale = 1): QueueModel {
  const asOf = Date.parse(input.as_of)
  return simulateQueue(input.daily_inflow_fen.map((f) => Math.round(Number(f) * inflowScale)), {
    paused: input.paused || !input.plugin_on,
    closed: input.closed,
    clearingInDays: input.next_clearing_at === null ? null : (Date.parse(input.next_clearing_at) - asOf) / DAY_MS,
  }, options)
}

export interface LiabilityRunOff {
  /** day 1 … days: what of today's owed amount is still owed at the end of that day, fen */
  p10Fen: number[]
  p50Fen: number[]
  p90Fen: number[]
}

/**
 * How today's liability (Σ remaining of the waiting entries) runs off over the next days at the
 * queue's current inflow, if no new entry joined: at each quantile, owed − paid by that day.
 * P10 of the payments is the high (pessimistic) liability, P90 the low one. New orders add
 * liability too: (reward ratio − extraction ratio) of every yuan sold (structuralGrowthText).
 */
export function liabilityRunOff(model: QueueModelOk, owedFen: number, days: number): LiabilityRunOff {
  const at = (q: number) => Array.from({ length: Math.min(days, model.horizonDays) },
    (_, d) => Math.max(0, Math.round(owedFen - model.thresholds[q][d])))
  // thresholds[0] (P10 of what is paid) leaves the most owed
  return { p10Fen: at(2), p50Fen: at(1), p90Fen: at(0) }
}

/** Every ¥1 of sales adds (reward − extraction) × ¥1 of owed rebate, as a plain sentence. */
export function structuralGrowthText(rewardBps: number, extractionBps: number): string {
  const net = rewardBps - extractionBps
  const yuan = (bps: number) => (Math.abs(bps) / 10000).toFixed(2)
  if (net > 0) return `每卖出 ¥1.00，待返金额增加 ¥${yuan(net)}（奖励比例 ${rewardBps / 100}% − 提取比例 ${extractionBps / 100}%）：销售越多，待返越多。`
  if (net < 0) return `每卖出 ¥1.00，提取比待返多 ¥${yuan(net)}（提取比例 ${extractionBps / 100}% − 奖励比例 ${rewardBps / 100}%）：销售能够逐步消化待返。`
  return `每卖出 ¥1.00，新增待返与提取相等（奖励比例 = 提取比例 = ${rewardBps / 100}%）：待返总额不随销售增长。`
}

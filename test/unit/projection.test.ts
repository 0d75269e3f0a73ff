import {
  liabilityRunOff,
  modelFromQueueInput,
  structuralGrowthText,
  MIN_HISTORY_DAYS,
  describeProjection,
  projectAmount,
  projectEntries,
  seededRng,
  shareCompletingWithin,
  simulateQueue,
  type QueueModelOk,
} from '@/lib/projection'

const open = { paused: false, clearingInDays: null }
const constant = (fen: number, days = 30): number[] => Array.from({ length: days }, () => fen)

function ok(model: ReturnType<typeof simulateQueue>): QueueModelOk {
  if (model.kind !== 'ok') throw new Error(`expected an estimate, got ${model.reason}`)
  return model
}

describe('projection engine', () => {
  test('constant inflow gives the exact day at every quantile', () => {
    const m = ok(simulateQueue(constant(1000), open, { seed: 1, runs: 200 }))
    // 10.00 a day; 25.00 needed → day 3; exactly 30.00 → day 3; 30.01 → day 4
    expect(projectAmount(m, 2500)).toEqual({ p10Day: 3, p50Day: 3, p90Day: 3, pBeforeClearing: null })
    expect(projectAmount(m, 3000).p50Day).toBe(3)
    expect(projectAmount(m, 3001).p90Day).toBe(4)
    expect(projectAmount(m, 1000 * 365).p50Day).toBe(365)
    expect(projectAmount(m, 1000 * 365 + 1).p10Day).toBeNull()
    expect(projectAmount(m, 0).p50Day).toBe(0)
  })

  test('every entry of a queue at once: cumulative need in order, ineligible entries skipped', () => {
    const m = ok(simulateQueue(constant(1000), open, { seed: 1, runs: 50 }))
    const r = projectEntries(m, { remainingFen: [1500, 1000, 700, 800], eligible: [true, false, true, true] })
    expect(Array.from(r.needFen)).toEqual([1500, 2500, 2200, 3000])
    expect(Array.from(r.p50Day)).toEqual([2, 3, 3, 3])
    expect(shareCompletingWithin(r, [2, 3])).toEqual([0.25, 1])
  })

  test('zero inflow, short history, pause and a closed queue: 无法估计 with the reason', () => {
    expect(simulateQueue(constant(0), open, { seed: 1 })).toMatchObject({ kind: 'unknown', reason: 'no_inflow' })
    expect(simulateQueue(constant(1000, MIN_HISTORY_DAYS - 1), open, { seed: 1 })).toMatchObject({ kind: 'unknown', reason: 'short_history', historyDays: 6 })
    expect(simulateQueue(constant(1000, MIN_HISTORY_DAYS), open, { seed: 1 }).kind).toBe('ok')
    expect(simulateQueue(constant(1000), { ...open, paused: true }, { seed: 1 })).toMatchObject({ kind: 'unknown', reason: 'paused' })
    expect(simulateQueue(constant(1000), { ...open, closed: true }, { seed: 1 })).toMatchObject({ kind: 'unknown', reason: 'queue_closed' })
    const text = describeProjection(simulateQueue(constant(0), open, { seed: 1 }), null)
    expect(text.headline).toBe('无法估计')
    expect(text.note).toContain('没有新订单')
  })

  test('clearing before completion gives probability 0; well before it, 1', () => {
    const m = ok(simulateQueue(constant(1000), { paused: false, clearingInDays: 2.5 }, { seed: 3, runs: 100 }))
    // 2.5 days of 10.00 = 25.00 paid before the clearing
    expect(projectAmount(m, 5000)).toEqual({ p10Day: null, p50Day: null, p90Day: null, pBeforeClearing: 0 })
    expect(projectAmount(m, 2500).pBeforeClearing).toBe(1)
    expect(projectAmount(m, 2501).pBeforeClearing).toBe(0)
    expect(projectAmount(m, 1500)).toEqual({ p10Day: 2, p50Day: 2, p90Day: 2, pBeforeClearing: 1 })
    expect(describeProjection(m, projectAmount(m, 5000)).headline).toBe('清零前完成的概率0%')
  })

  test('a probability between 0 and 1 when the clearing falls inside the spread', () => {
    const history = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 0 : 2000))
    const m = ok(simulateQueue(history, { paused: false, clearingInDays: 10 }, { seed: 5, runs: 2000, rateUncertainty: false }))
    const p = projectAmount(m, 10000).pBeforeClearing as number
    // 10 days of 0 or 20.00 with equal odds: at least 5 of 10 days paying, P ≈ 0.623
    expect(p).toBeGreaterThan(0.55)
    expect(p).toBeLessThan(0.7)
  })

  test('seeded runs are reproducible; another seed differs; quantiles are ordered', () => {
    const history = Array.from({ length: 60 }, (_, i) => ((i * 7919) % 13) * 100)
    const a = ok(simulateQueue(history, open, { seed: 42 }))
    const b = ok(simulateQueue(history, open, { seed: 42 }))
    const c = ok(simulateQueue(history, open, { seed: 43 }))
    expect(Array.from(a.thresholds[1])).toEqual(Array.from(b.thresholds[1]))
    expect(Array.from(a.thresholds[0])).not.toEqual(Array.from(c.thresholds[0]))
    for (const need of [1000, 50000, 100000]) {
      const p = projectAmount(a, need)
      expect(p.p10Day).not.toBeNull()
      expect(p.p10Day as number).toBeLessThanOrEqual(p.p50Day as number)
      expect(p.p50Day as number).toBeLessThanOrEqual(p.p90Day as number)
    }
    const rng = seededRng(7)
    const first = [rng.next(), rng.next()]
    const again = seededRng(7)
    expect([again.next(), again.next()]).toEqual(first)
  })

  test('the bootstrap spread matches the sum of independent days', () => {
    // days of 0 or 100 fen, equally likely: S(100) ~ Binomial(100, 1/2) × 100
    const history = Array.from({ length: 30 }, (_, i) => (i % 2) * 100)
    const m = ok(simulateQueue(history, open, { seed: 9, runs: 4000, horizonDays: 100, rateUncertainty: false }))
    // P10 / P50 / P90 of Binomial(100, .5): 44 / 50 / 56 successes
    expect(m.thresholds[2][99] / 100).toBeGreaterThanOrEqual(42)
    expect(m.thresholds[2][99] / 100).toBeLessThanOrEqual(45)
    expect(m.thresholds[1][99] / 100).toBe(50)
    expect(m.thresholds[0][99] / 100).toBeGreaterThanOrEqual(55)
    expect(m.thresholds[0][99] / 100).toBeLessThanOrEqual(58)
  })

  test('the two-stage bootstrap widens the range by the uncertainty of the rate', () => {
    const history = Array.from({ length: 30 }, (_, i) => (i % 2) * 100)
    const one = ok(simulateQueue(history, open, { seed: 9, runs: 4000, horizonDays: 100, rateUncertainty: false }))
    const two = ok(simulateQueue(history, open, { seed: 9, runs: 4000, horizonDays: 100 }))
    const width = (m: QueueModelOk) => m.thresholds[0][99] - m.thresholds[2][99]
    // sd of S(100): 100 × 50 × √(1/100 + 1/30) ≈ 1041 fen against 500: the 80% range about twice as wide
    expect(width(two) / width(one)).toBeGreaterThan(1.7)
    expect(width(two) / width(one)).toBeLessThan(2.5)
    expect(two.rateUncertainty).toBe(true)
  })

  test('a linear trend speeds up a growing queue', () => {
    const history = Array.from({ length: 30 }, (_, i) => 1000 + i * 100)
    const flat = ok(simulateQueue(history, open, { seed: 1, runs: 300 }))
    const trend = ok(simulateQueue(history, open, { seed: 1, runs: 300, trend: 'linear' }))
    expect(projectAmount(trend, 500000).p50Day as number).toBeLessThan(projectAmount(flat, 500000).p50Day as number)
  })

  test('the member reads a range, never a point without it', () => {
    const history = Array.from({ length: 30 }, (_, i) => 500 + (i % 5) * 300)
    const m = ok(simulateQueue(history, open, { seed: 2 }))
    const text = describeProjection(m, projectAmount(m, 30000))
    expect(text.headline).toMatch(/^预计 \d+(–\d+)? 天（80% 区间）$/)
    expect(text.note).toContain('近 30 天')
    expect(describeProjection(m, projectAmount(m, 1e12)).headline).toBe('预计 365 天内难以完成')
  })

  test('refuses bad input', () => {
    expect(() => simulateQueue([-1, ...constant(1)], open, { seed: 1 })).toThrow(RangeError)
    expect(() => simulateQueue(constant(1), open, { seed: 1, runs: 0 })).toThrow(RangeError)
  })
})

describe('liability run-off (the console)', () => {
  test('constant inflow pays today\'s liability down by exactly that much a day, at every quantile', () => {
    const m = ok(modelFromQueueInput({
      as_of: '2026-12-03T00:00:00Z', closed: false, plugin_on: true, paused: false, next_clearing_at: null,
      daily_inflow_fen: constant(1000).map(String),
    }, { seed: 3, runs: 100 }))
    const r = liabilityRunOff(m, 3500, 5)
    for (const q of [r.p10Fen, r.p50Fen, r.p90Fen]) expect(q).toEqual([2500, 1500, 500, 0, 0])
  });

  test('the pessimistic line is never below the optimistic one', () => {
    const days = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 3000 : 200))
    const m = ok(simulateQueue(days, open, { seed: 9, runs: 300 }))
    const r = liabilityRunOff(m, 100000, 90)
    r.p10Fen.forEach((v, i) => { expect(v).toBeGreaterThanOrEqual(r.p50Fen[i]); expect(r.p50Fen[i]).toBeGreaterThanOrEqual(r.p90Fen[i]) })
    expect(r.p10Fen[0]).toBeLessThan(100000)
  });

  test('plugin off or paused in the input: no estimate', () => {
    const input = { as_of: '2026-12-03T00:00:00Z', closed: false, plugin_on: false, paused: false, next_clearing_at: null, daily_inflow_fen: constant(1000) }
    expect(modelFromQueueInput(input, { seed: 1 })).toMatchObject({ kind: 'unknown', reason: 'paused' })
  });

  test('what every yuan of sales adds, as a sentence', () => {
    expect(structuralGrowthText(10000, 3000)).toBe('每卖出 ¥1.00，待返金额增加 ¥0.70（奖励比例 100% − 提取比例 30%）：销售越多，待返越多。')
    expect(structuralGrowthText(2000, 3000)).toContain('提取比待返多 ¥0.10')
    expect(structuralGrowthText(3000, 3000)).toContain('待返总额不随销售增长')
  });
});

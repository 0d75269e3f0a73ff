import { estimateCompletion, formatEta, formatPercent, inflowWindowsOf, progressPercent } from '../../client/lib/progress'

describe('progressPercent', () => {
  it.each([
    [0, 10000, 0],
    [1000, 10000, 10],
    [3333, 10000, 33.3],
    [9999, 10000, 99.9],
    [9999999, 10000000, 99.9], // rounds down: never shows 100 before the entry is paid in full
    [10000, 10000, 100],
    [21840, 21840, 100],
    [10920, 21840, 50],
  ])('%p of %p fen is %p%%', (received, entitlement, percent) => {
    expect(progressPercent(received, entitlement)).toBe(percent)
  })

  it('accepts bigint columns as digit strings and clamps nonsense', () => {
    expect(progressPercent('4611686018427387903', '9223372036854775807')).toBe(49.9)
    expect(progressPercent(5, 0)).toBe(0)
    expect(progressPercent(-5, 100)).toBe(0)
    expect(progressPercent(150, 100)).toBe(100)
  })

  it('refuses non-integer amounts', () => {
    expect(() => progressPercent('1.5', 100)).toThrow(RangeError)
  })

  it.each([
    [0, '0%'],
    [10, '10%'],
    [33.3, '33.3%'],
    [100, '100%'],
  ])('formats %p as %p', (percent, text) => {
    expect(formatPercent(percent)).toBe(text)
  })
})

describe('inflowWindowsOf', () => {
  const now = new Date('2026-11-25T12:00:00Z')

  it('reads the 7 and 30 day windows', () => {
    expect(inflowWindowsOf({ inflow_7d_fen: 7000, inflow_30d_fen: 60000 }, now)).toEqual([
      { fen: 7000, days: 7 },
      { fen: 60000, days: 30 },
    ])
  })

  it('shortens the windows of a queue younger than them (at least one day)', () => {
    const windows = inflowWindowsOf({ inflow_7d_fen: 500, inflow_30d_fen: 500, queue_created_at: '2026-11-23T12:00:00Z' }, now)
    expect(windows).toEqual([
      { fen: 500, days: 2 },
      { fen: 500, days: 2 },
    ])
    expect(inflowWindowsOf({ inflow_7d_fen: 500, queue_created_at: '2026-11-25T11:00:00Z' }, now)).toEqual([{ fen: 500, days: 1 }])
  })

  it('has nothing when the backend sends no inflow figures', () => {
    expect(inflowWindowsOf({}, now)).toEqual([])
    expect(inflowWindowsOf({ inflow_7d_fen: null, inflow_30d_fen: undefined }, now)).toEqual([])
  })
})

describe('estimateCompletion', () => {
  it('is done when nothing remains', () => {
    expect(estimateCompletion({ aheadFen: 5000, remainingFen: 0, windows: [] })).toEqual({ kind: 'done' })
  })

  it('cannot estimate without inflow, or when the amount ahead is hidden', () => {
    expect(estimateCompletion({ aheadFen: 0, remainingFen: 100, windows: [] })).toEqual({ kind: 'unknown' })
    expect(estimateCompletion({ aheadFen: 0, remainingFen: 100, windows: [{ days: 7, fen: 0 }, { days: 30, fen: 0 }] })).toEqual({ kind: 'unknown' })
    expect(estimateCompletion({ aheadFen: null, remainingFen: 100, windows: [{ days: 7, fen: 700 }] })).toEqual({ kind: 'unknown' })
  })

  it('needs the amount ahead plus my remainder, at the fastest and slowest recent rate', () => {
    // ahead ¥400 + mine ¥100 = ¥500; last 7 days ¥70 → ¥10/day → 50 days; last 30 days ¥600 → ¥20/day → 25 days
    const eta = estimateCompletion({ aheadFen: 40000, remainingFen: 10000, windows: [{ days: 7, fen: 7000 }, { days: 30, fen: 60000 }] })
    expect(eta).toEqual({ kind: 'range', minDays: 25, maxDays: 50 })
    expect(formatEta(eta)).toBe('25–50 天')
  })

  it('uses the windows that saw inflow', () => {
    const eta = estimateCompletion({ aheadFen: 0, remainingFen: 3000, windows: [{ days: 7, fen: 0 }, { days: 30, fen: 30000 }] })
    expect(eta).toEqual({ kind: 'range', minDays: 3, maxDays: 3 })
    expect(formatEta(eta)).toBe('约 3 天')
  })
})

describe('formatEta', () => {
  it.each([
    [{ kind: 'done' } as const, '即将完成'],
    [{ kind: 'unknown' } as const, '无法估计'],
    [{ kind: 'range', minDays: 0.2, maxDays: 0.9 } as const, '1 天内'],
    [{ kind: 'range', minDays: 0.5, maxDays: 2.5 } as const, '1–3 天'],
    [{ kind: 'range', minDays: 2.1, maxDays: 4.7 } as const, '3–5 天'],
    [{ kind: 'range', minDays: 60, maxDays: 60 } as const, '约 60 天'],
    [{ kind: 'range', minDays: 45, maxDays: 120 } as const, '约 2–4 个月'],
    [{ kind: 'range', minDays: 90, maxDays: 90 } as const, '约 3 个月'],
    [{ kind: 'range', minDays: 400, maxDays: 1000 } as const, '约 13 个月以上'],
    [{ kind: 'range', minDays: 800, maxDays: 1000 } as const, '2 年以上'],
  ])('%p reads %p', (eta, text) => {
    expect(formatEta(eta)).toBe(text)
  })
})

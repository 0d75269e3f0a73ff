import { formatFen, MoneyInputError, yuanToFen } from '../../client/lib/money'

describe('formatFen', () => {
  it.each([
    [0, '¥0.00'],
    [1, '¥0.01'],
    [10, '¥0.10'],
    [1234, '¥12.34'],
    [100000, '¥1,000.00'],
    [-5, '-¥0.05'],
    [-1234, '-¥12.34'],
  ])('formats %p fen as %p', (fen, text) => {
    expect(formatFen(fen)).toBe(text)
  })

  it('formats bigint and digit strings (bigint columns) without losing precision', () => {
    expect(formatFen(9223372036854775807n)).toBe('¥92,233,720,368,547,758.07')
    expect(formatFen('9223372036854775807')).toBe('¥92,233,720,368,547,758.07')
    expect(formatFen(' 1234 ')).toBe('¥12.34')
    expect(formatFen(-0)).toBe('¥0.00')
  })

  it('does no float arithmetic (0.1 + 0.2 style errors cannot appear)', () => {
    // 1.15 * 100 === 114.99999999999999 in floats; 115 fen must print as 1.15.
    expect(formatFen(115)).toBe('¥1.15')
    expect(formatFen(Number.MAX_SAFE_INTEGER)).toBe('¥90,071,992,547,409.91')
  })

  it.each([[1.5], [NaN], [Infinity], [Number.MAX_SAFE_INTEGER + 1]])('refuses the non-fen number %p', (fen) => {
    expect(() => formatFen(fen)).toThrow(RangeError)
  })

  it.each([['12.34'], ['abc'], [''], ['1e3'], ['0x10']])('refuses the non-integer string %p', (fen) => {
    expect(() => formatFen(fen)).toThrow(RangeError)
  })
})

describe('yuanToFen', () => {
  it.each([
    ['0', 0],
    ['8', 800],
    ['12.3', 1230],
    ['12.34', 1234],
    ['0.05', 5],
    ['0.1', 10],
    ['1.15', 115],
    ['  7.5 ', 750],
    ['007.50', 750],
    ['90071992547409.91', Number.MAX_SAFE_INTEGER],
  ])('parses %p as %p fen', (input, fen) => {
    expect(yuanToFen(input)).toBe(fen)
  })

  it('returns integers for every two-decimal amount (no float drift)', () => {
    for (let fen = 0; fen <= 2000; fen += 1) {
      const text = `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`
      expect(yuanToFen(text)).toBe(fen)
    }
  })

  it.each([
    ['12.345', '金额最多保留两位小数'],
    ['0.001', '金额最多保留两位小数'],
    ['-1', '金额不能为负数'],
    ['-0.01', '金额不能为负数'],
    ['', '请输入金额'],
    ['   ', '请输入金额'],
    ['abc', '请输入有效的金额'],
    ['1e3', '请输入有效的金额'],
    ['12.', '请输入有效的金额'],
    ['.5', '请输入有效的金额'],
    ['+5', '请输入有效的金额'],
    ['1,000', '请输入有效的金额'],
    ['¥12', '请输入有效的金额'],
    ['12 元', '请输入有效的金额'],
    ['0x10', '请输入有效的金额'],
    ['Infinity', '请输入有效的金额'],
    ['１２', '请输入有效的金额'],
    ['90071992547409.92', '金额过大'],
  ])('rejects %p with a Chinese message', (input, message) => {
    expect(() => yuanToFen(input)).toThrow(MoneyInputError)
    expect(() => yuanToFen(input)).toThrow(message)
  })

  it('round-trips with formatFen', () => {
    for (const fen of [0, 1, 99, 100, 12345, 987654321]) {
      expect(formatFen(yuanToFen(formatFen(fen).slice(1).replace(/,/g, '')))).toBe(formatFen(fen))
    }
  })
})

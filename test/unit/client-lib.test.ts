import { amountDisplay, amountFenOf, deleteKey, pressKey } from '../../client/lib/amount-input'
import { assetAmount, assetDelta } from '../../client/lib/asset-format'
import { entryView } from '../../client/lib/entry-view'
import { bpsOf, formatBps, formatLove, formatPoints, sameFen } from '../../client/lib/money'
import { idParam, routes } from '../../client/lib/routes'
import { buildScene, parseScene, sceneFromScan } from '../../client/lib/scene'
import { formatDateTime } from '../../client/lib/time'
import { withdrawPreview } from '../../client/lib/withdraw'
import { chanceText, drawAccount, lotteryOdds } from '../../client/lib/lottery'
import { addressProblem, deductionFor, maskPhone } from '../../client/lib/checkout'

describe('money: ratios, previews, points and love value', () => {
  it.each([
    [10000, '100%'],
    [13000, '130%'],
    [1250, '12.5%'],
    [5, '0.05%'],
    [0, '0%'],
  ])('formatBps(%p) = %p', (bps, text) => {
    expect(formatBps(bps)).toBe(text)
  })

  it('bpsOf rounds half-up to the fen like the engine (SPEC §2)', () => {
    expect(bpsOf(16800, 13000)).toBe(21840n) // 168.00 × 130% = 218.40
    expect(bpsOf(16800, 6500)).toBe(10920n) // 168.00 × 65% = 109.20
    expect(bpsOf(5, 1000)).toBe(1n) // 0.5 fen → 1
    expect(bpsOf(4, 1000)).toBe(0n) // 0.4 fen → 0
    expect(bpsOf('9223372036854775807', 10000)).toBe(9223372036854775807n)
    expect(() => bpsOf(100, -1)).toThrow(RangeError)
    expect(() => bpsOf(-100, 100)).toThrow(RangeError)
  })

  it('formats points with separators and love value as yuan-like units', () => {
    expect(formatPoints(0)).toBe('0')
    expect(formatPoints(1234567)).toBe('1,234,567')
    expect(formatPoints('-1500')).toBe('-1,500')
    expect(formatLove(1234)).toBe('12.34')
    expect(formatLove(5)).toBe('0.05')
    expect(sameFen('100', 100n)).toBe(true)
    expect(sameFen(99, 100)).toBe(false)
  })

  it('formats wallet amounts and changes in their unit', () => {
    expect(assetAmount('cash', 1000)).toBe('¥10.00')
    expect(assetAmount('points', 1500)).toBe('1,500')
    expect(assetAmount('love_frozen', 150)).toBe('1.50')
    expect(assetDelta('commission', 250)).toBe('+¥2.50')
    expect(assetDelta('points', -500)).toBe('-500 积分')
    expect(assetDelta('love', 150)).toBe('+1.50 爱心值')
  })
})

describe('cashier keypad', () => {
  const type = (keys: string[]): string => keys.reduce(pressKey, '')

  it('builds an amount of at most two decimals without leading zeros', () => {
    expect(type(['1', '2', '8', '.', '5', '0', '9'])).toBe('128.50')
    expect(type(['0', '0', '7'])).toBe('7')
    expect(type(['.', '5'])).toBe('0.5')
    expect(type(['1', '.', '.', '2'])).toBe('1.2')
    expect(type(['9', '9', '9', '9', '9', '9', '9'])).toBe('999999')
    expect(type(['1', '00'])).toBe('100')
    expect(type(['x'])).toBe('')
    expect(deleteKey('12.3')).toBe('12.')
    expect(deleteKey('')).toBe('')
  })

  it('turns the typed text into fen, nothing payable while zero', () => {
    expect(amountFenOf('128.5')).toBe(12850)
    expect(amountFenOf('128.')).toBe(12800)
    expect(amountFenOf('0.01')).toBe(1)
    expect(amountFenOf('')).toBeNull()
    expect(amountFenOf('0')).toBeNull()
    expect(amountFenOf('0.00')).toBeNull()
    expect(amountDisplay('')).toBe('0.00')
    expect(amountDisplay('3.5')).toBe('3.5')
  })
})

describe('scenes', () => {
  it('builds and reads invite, merchant and cashier scenes', () => {
    expect(buildScene('invite', 'AB12CD34')).toBe('i=AB12CD34')
    expect(parseScene('i=AB12CD34')).toEqual({ kind: 'invite', code: 'AB12CD34' })
    expect(parseScene('m%3DPROMO001')).toEqual({ kind: 'merchant', code: 'PROMO001' })
    expect(parseScene('c%253Dcash01')).toEqual({ kind: 'cashier', code: 'CASH01' })
    expect(parseScene(undefined)).toEqual({ kind: 'unknown' })
    expect(parseScene('x=AB12')).toEqual({ kind: 'unknown' })
    expect(parseScene('i=AB')).toEqual({ kind: 'unknown' })
    expect(parseScene('%E0%A4%A')).toEqual({ kind: 'unknown' })
  })

  it('reads what Taro.scanCode returns for mini-program codes and plain QR codes', () => {
    expect(sceneFromScan({ path: 'packages/cashier/index?scene=c%3DCASH01' })).toEqual({ kind: 'cashier', code: 'CASH01' })
    expect(sceneFromScan({ result: 'c=CASH01' })).toEqual({ kind: 'cashier', code: 'CASH01' })
    expect(sceneFromScan({ result: 'https://example.com/x?scene=i%3DAB12CD34&y=1' })).toEqual({ kind: 'invite', code: 'AB12CD34' })
    expect(sceneFromScan({ result: '{"page":"packages/cashier/index","scene":"c=CASH01","env_version":"develop"}' })).toEqual({ kind: 'cashier', code: 'CASH01' })
    expect(sceneFromScan({ result: 'hello' })).toEqual({ kind: 'unknown' })
    expect(sceneFromScan({ result: '{not json' })).toEqual({ kind: 'unknown' })
  })
})

describe('routes and times', () => {
  it('builds page URLs with encoded queries', () => {
    expect(routes.process(7)).toBe('/packages/queue/process/index?entry_id=7')
    expect(routes.cashier('c=CASH01')).toBe('/packages/cashier/index?scene=c%3DCASH01')
    expect(routes.order(3, true)).toBe('/packages/shop/order/index?id=3&paid=1')
    expect(idParam('12')).toBe(12)
    expect(idParam('0')).toBeNull()
    expect(idParam('1e3')).toBeNull()
    expect(idParam(undefined)).toBeNull()
  })

  it('shows times in Asia/Shanghai', () => {
    expect(formatDateTime('2026-11-25T02:30:00Z')).toBe('2026-11-25 10:30')
    expect(formatDateTime('2026-12-31T16:05:00+00:00')).toBe('2027-01-01 00:05')
    expect(formatDateTime(null)).toBe('')
    expect(formatDateTime('not a time')).toBe('')
  })
})

describe('entryView', () => {
  const base = {
    status: 'waiting',
    entitlement_fen: 21840,
    received_fen: 10920,
    remaining_fen: 10920,
    reward_bps: 13000,
    rule_label: '商品独立比例',
  }

  it('derives what the queue card shows', () => {
    const view = entryView({ ...base, position: 3, ahead_count: 2, ahead_amount_fen: 30000, inflow_7d_fen: 7000, inflow_30d_fen: 60000 })
    expect(view).toMatchObject({
      waiting: true,
      percent: 50,
      percentText: '50%',
      receivedText: '¥109.20',
      entitlementText: '¥218.40',
      remainingText: '¥109.20',
      ratioText: '奖励比例 130%（商品独立比例）',
      drawnText: null,
      positionText: '第 3 位',
      aheadText: '前面 2 个名额，还需 ¥300.00',
      canDraw: false,
      canExchange: true,
    })
    // (300.00 + 109.20) at ¥10/day and ¥20/day
    expect(view.etaText).toBe('21–41 天')
  })

  it('hides the amount ahead when the backend hides it, and says the head is reached', () => {
    expect(entryView({ ...base, position: 3, ahead_count: 2, ahead_amount_fen: null }).aheadText).toBe('前面 2 个名额')
    expect(entryView({ ...base, position: 3, ahead_count: 2, ahead_amount_fen: null }).etaText).toBe('无法估计')
    expect(entryView({ ...base, position: 1, ahead_count: 0, ahead_amount_fen: 0 }).aheadText).toBe('已排到队首')
  })

  it('offers the lottery only where the backend allows it, and shows the drawn ratio', () => {
    expect(entryView({ ...base, can_draw: true }).canDraw).toBe(true)
    expect(entryView({ ...base, status: 'completed', can_draw: true }).canDraw).toBe(false)
    expect(entryView({ ...base, drawn_bps: 5000 }).drawnText).toBe('抽中 50%')
  })

  it('has no place or estimate for entries that left the queue', () => {
    const view = entryView({ ...base, status: 'completed', received_fen: 21840, remaining_fen: 0, position: null })
    expect(view).toMatchObject({ waiting: false, percent: 100, positionText: null, aheadText: null, etaText: null, canExchange: false })
  })
})

describe('withdrawal preview', () => {
  const rules = { min_fen: 1000, fee_bps: 60, daily_limit: 3, today_count: 0 }
  it('fee half-up as the server rounds, net = amount − fee', () => {
    expect(withdrawPreview('33.33', 10000, rules)).toEqual({ amountFen: 3333, feeFen: 20n, netFen: 3313n, problem: null })
  })
  it('names why the request would be refused', () => {
    expect(withdrawPreview('', 10000, rules).problem).toBe('请输入提现金额')
    expect(withdrawPreview('9.99', 10000, rules).problem).toBe('最低提现金额为¥10.00')
    expect(withdrawPreview('100.01', 10000, rules).problem).toBe('余额不足')
    expect(withdrawPreview('1.234', 10000, rules).problem).toBe('金额最多保留两位小数')
    expect(withdrawPreview('0.01', 10000, { ...rules, min_fen: 1, fee_bps: 5000 }).problem).toBe('扣除手续费后金额不足')
    expect(withdrawPreview('20', 10000, { ...rules, today_count: 3 }).problem).toBe('今日提现次数已达上限（3次）')
  })
})

describe('checkout', () => {
  it('deduction: points first, then love value, always leaving one fen to pay', () => {
    expect(deductionFor(20000, 3000, 1250, true, true)).toEqual({ points_fen: 3000, love_fen: 1250 })
    expect(deductionFor(20000, 3000, 1250, false, true)).toEqual({ points_fen: 0, love_fen: 1250 })
    expect(deductionFor(1000, 5000, 5000, true, true)).toEqual({ points_fen: 999, love_fen: 0 })
    expect(deductionFor(1000, 500, 5000, true, true)).toEqual({ points_fen: 500, love_fen: 499 })
    expect(deductionFor(1, 5000, 5000, true, true)).toEqual({ points_fen: 0, love_fen: 0 })
  })
  it('address: every field, as the server checks it', () => {
    const a = { name: '张三', phone: '138 0013 8000', region: '浙江省 杭州市', detail: '文三路 1 号' }
    expect(addressProblem(a)).toBeNull()
    expect(addressProblem(null)).toBe('请填写收货地址')
    expect(addressProblem({ ...a, name: ' ' })).toBe('请填写收货人（最多 20 个字）')
    expect(addressProblem({ ...a, phone: '12' })).toBe('请填写正确的联系电话')
    expect(addressProblem({ ...a, region: '' })).toBe('请填写所在地区')
    expect(addressProblem({ ...a, detail: 'x'.repeat(121) })).toBe('请填写详细地址（最多 120 个字）')
    expect(maskPhone('138 0013 8000')).toBe('138****8000')
  })
})

describe('lottery odds and the account of a draw', () => {
  it('publishes each ratio with its probability, or the interval', () => {
    expect(lotteryOdds({ mode: 'fixed', options: [{ bps: 1000, weight: 1 }, { bps: 2000, weight: 1 }, { bps: 5000, weight: 1 }] }))
      .toEqual({ mode: 'fixed', outcomes: [
        { bps: 1000, ratioText: '10%', chanceText: '33.33%' }, { bps: 2000, ratioText: '20%', chanceText: '33.33%' },
        { bps: 5000, ratioText: '50%', chanceText: '33.33%' }] })
    expect(chanceText(1, 8)).toBe('12.5%')
    expect(lotteryOdds({ mode: 'interval', min_bps: 1000, max_bps: 15000 })).toEqual({ mode: 'interval',
      text: '在 10% 到 150% 之间随机抽取，每个比例（精确到 0.01%）机会均等' })
  })
  it('says up or down; congratulates only a higher ratio', () => {
    expect(drawAccount(10000, 5000, 10000, 5000)).toEqual({ direction: 'down', title: '抽中 50%，奖励比例下调',
      change: '总权益 ¥100.00 → ¥50.00（减少 ¥50.00）' })
    expect(drawAccount(5000, 12000, 5000, 12000).title).toBe('恭喜！抽中 120%，奖励比例上调')
    expect(drawAccount(5000, 5000, 5000, 5000)).toMatchObject({ direction: 'same', change: '总权益 ¥50.00 → ¥50.00' })
  })
})

describe('messages', () => {
  it('points are never money; each message taps through to its object', async () => {
    const { messageAmountText, messageTarget } = await import('../../client/lib/message-view')
    expect(messageAmountText('points_received', 1000)).toBe('1,000 积分')
    expect(messageAmountText('entry_received', 1000)).toBe('¥10.00')
    expect(messageAmountText('entry_exchanged', 1000)).toBeNull()
    expect(messageTarget({ kind: 'entry_received', entry_id: 7, order_id: 3 })).toBe('/packages/queue/process/index?entry_id=7')
    expect(messageTarget({ kind: 'withdrawal_rejected', entry_id: null, order_id: null })).toBe('/packages/wallet/withdraw/index?asset=cash')
    expect(messageTarget({ kind: 'merchant_approved', entry_id: null, order_id: null })).toBe('/packages/store/mine/index')
    // a union message's entry_id is a union entry's: never the classic process page
    expect(messageTarget({ kind: 'union_paid_out', entry_id: 7, order_id: 3 })).toBe('/packages/union/pool/index')
    expect(messageAmountText('union_exchanged', 1000)).toBeNull()
    expect(messageAmountText('union_paid_out', 11000)).toBe('¥110.00')
  })
})

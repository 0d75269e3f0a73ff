/** @jest-environment jsdom */
/**
 * The queue card (components/EntryCard) rendered with React in jsdom: the money, progress
 * and estimate texts it shows for an entry, and which actions it offers under the display
 * switches. Taro components and NutUI are replaced by plain elements.
 */
import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import type { ReactNode } from 'react'
import EntryCard from '../../client/components/EntryCard'
import { DEFAULT_DISPLAY, type Entry } from '../../client/services/queue'

jest.mock('@tarojs/components', () => ({
  View: ({ children, className, onClick, ...rest }: { children?: ReactNode; className?: string; onClick?: () => void }) => (
    <div className={className} onClick={onClick} {...rest}>
      {children}
    </div>
  ),
  Text: ({ children, className, ...rest }: { children?: ReactNode; className?: string }) => (
    <span className={className} {...rest}>
      {children}
    </span>
  ),
}))
jest.mock('@tarojs/taro', () => ({ __esModule: true, default: {} }))
jest.mock('@/components/nut/button', () => ({
  Button: ({ children, onClick, ...rest }: { children?: ReactNode; onClick?: () => void; type?: string; size?: string; fill?: string }) => {
    const { type: _t, size: _s, fill: _f, ...attrs } = rest
    return (
      <button type='button' onClick={onClick} {...attrs}>
        {children}
      </button>
    )
  },
}))
jest.mock('@/components/nut/progress', () => ({
  Progress: ({ percent }: { percent: number }) => <div role='progressbar' aria-valuenow={percent} />,
}))
jest.mock('@/components/nut/tag', () => ({ Tag: ({ children }: { children?: ReactNode }) => <span>{children}</span> }))
jest.mock('../../client/components/EntryCard/index.scss', () => ({}))
jest.mock('../../client/components/EntryCard/EntryEstimate.scss', () => ({}))
// The card uses the queue service's types and defaults, and asks the projection function for
// a waiting entry's estimate: that call is answered here.
const invokeFunction = jest.fn()
jest.mock('../../client/services/api', () => ({ rpc: jest.fn(), rpcJson: jest.fn(), invokeFunction: (...args: unknown[]) => invokeFunction(...args) }))
beforeEach(() => {
  invokeFunction.mockReset()
  invokeFunction.mockReturnValue(new Promise(() => {})) // still estimating, unless a test answers
})

const entry: Entry = {
  entry_id: 7,
  queue_id: 3,
  queue_name: '商品队列·明前龙井',
  seq: 5,
  status: 'waiting',
  status_label: '排队中',
  entitlement_fen: 21840,
  received_fen: 10920,
  remaining_fen: 10920,
  closed_fen: 0,
  progress_bps: 5000,
  reward_bps: 13000,
  rule_code: 'product_ratio',
  rule_label: '商品独立比例',
  order_id: 11,
  order_no: '202611250000000011',
  item_name: '明前龙井',
  order_completed: false,
  created_at: '2026-11-25T02:00:00Z',
  ended_at: null,
  position: 3,
  ahead_count: 2,
  ahead_amount_fen: 30000,
  inflow_7d_fen: 7000,
  inflow_30d_fen: 60000,
  queue_created_at: null,
  can_draw: false,
  drawn_bps: null,
  can_exchange: true,
  lottery_config: null,
  converted_asset: null,
  converted_amount: null,
}

const text = (testId: string): string => screen.getByTestId(testId).textContent ?? ''

describe('EntryCard', () => {
  it('shows received / entitlement / remaining as ¥ with two decimals, the progress bar and the estimate', async () => {
    invokeFunction.mockResolvedValueOnce({ entry_id: 7, status: 'waiting', estimate: { kind: 'range' },
      headline: '预计 21–41 天（80% 区间）', note: '10 次中约 8 次落在此区间；按近 30 天每日返现随机模拟 1000 次，并非承诺' })
    render(<EntryCard entry={entry} display={DEFAULT_DISPLAY} />)
    expect(text('entry-received')).toBe('¥109.20')
    expect(text('entry-entitlement')).toBe('¥218.40')
    expect(text('entry-remaining')).toBe('¥109.20')
    expect(text('entry-progress-text')).toBe('50%')
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50')
    expect(text('entry-position')).toBe('当前排位：第 3 位')
    expect(text('entry-ahead')).toBe('前面 2 个名额，还需 ¥300.00')
    await waitFor(() => expect(text('entry-eta')).toBe('预计完成：预计 21–41 天（80% 区间）'))
    expect(text('entry-eta-note')).toBe('说明：10 次中约 8 次落在此区间；按近 30 天每日返现随机模拟 1000 次，并非承诺')
    expect(invokeFunction).toHaveBeenCalledWith('projection', { entry_id: 7 })
    expect(text('entry-ratio')).toBe('奖励比例 130%（商品独立比例）')
    expect(text('entry-status')).toBe('排队中')
  })

  it('says 无法估计 with the reason the projection gives, or the error when it cannot be reached', async () => {
    invokeFunction.mockResolvedValueOnce({ entry_id: 7, status: 'waiting', estimate: { kind: 'unknown', reason: 'short_history' },
      headline: '无法估计', note: '队列的历史不足 7 天，无法估计' })
    const { unmount } = render(<EntryCard entry={entry} display={DEFAULT_DISPLAY} />)
    expect(text('entry-eta')).toBe('预计完成：估算中…')
    await waitFor(() => expect(text('entry-eta')).toBe('预计完成：无法估计'))
    expect(text('entry-eta-note')).toBe('说明：队列的历史不足 7 天，无法估计')
    unmount()
    invokeFunction.mockRejectedValueOnce(new Error('网络不可用'))
    render(<EntryCard entry={entry} display={DEFAULT_DISPLAY} />)
    await waitFor(() => expect(text('entry-eta-note')).toBe('说明：网络不可用'))
    expect(text('entry-eta')).toBe('预计完成：无法估计')
  })

  it('offers draw, exchange (by its custom name), process and sources, and reports the entry', () => {
    const onDraw = jest.fn()
    const onExchange = jest.fn()
    const onProcess = jest.fn()
    const onSources = jest.fn()
    render(
      <EntryCard
        entry={{ ...entry, can_draw: true }}
        display={{ ...DEFAULT_DISPLAY, exchange_name: '兑积分' }}
        onDraw={onDraw}
        onExchange={onExchange}
        onProcess={onProcess}
        onSources={onSources}
      />,
    )
    expect(text('exchange-button')).toBe('兑积分')
    fireEvent.click(screen.getByTestId('draw-button'))
    fireEvent.click(screen.getByTestId('exchange-button'))
    fireEvent.click(screen.getByTestId('process-button'))
    fireEvent.click(screen.getByTestId('sources-button'))
    for (const handler of [onDraw, onExchange, onProcess, onSources]) expect(handler).toHaveBeenCalledWith(expect.objectContaining({ entry_id: 7 }))
  })

  it('hides the queue id and the process button when 队列进程 is off, and the draw button unless the backend allows it', () => {
    render(<EntryCard entry={entry} display={{ ...DEFAULT_DISPLAY, show_process: false }} onDraw={jest.fn()} onProcess={jest.fn()} />)
    expect(screen.queryByTestId('process-button')).toBeNull()
    expect(screen.queryByTestId('draw-button')).toBeNull()
    expect(document.body.textContent).not.toContain('队列 3')
  })

  it('shows no place, estimate or actions for a completed entry', () => {
    render(
      <EntryCard
        entry={{ ...entry, status: 'completed', status_label: '已完成', received_fen: 21840, remaining_fen: 0, position: null }}
        display={DEFAULT_DISPLAY}
        onDraw={jest.fn()}
        onExchange={jest.fn()}
      />,
    )
    expect(text('entry-progress-text')).toBe('100%')
    expect(screen.queryByTestId('entry-eta')).toBeNull()
    expect(invokeFunction).not.toHaveBeenCalled()
    expect(screen.queryByTestId('exchange-button')).toBeNull()
    expect(screen.queryByTestId('draw-button')).toBeNull()
  })
})

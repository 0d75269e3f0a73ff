import { useEffect, useRef, useState } from 'react'
import { Alert, Descriptions, Spin } from 'antd'
import * as echarts from 'echarts/core'
import { LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import {
  liabilityRunOff, modelFromQueueInput, seedFrom, structuralGrowthText, UNKNOWN_REASON_TEXT, type QueueModel,
} from '../../lib/projection'
import { fetchQueueProjectionInput, type QueueProjectionInput } from '../../services/console'
import { yuan } from '../format'

echarts.use([LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

const DAYS = 90

/**
 * 负债预测 of one queue (docs/projection.md): how today's owed amount runs off over 90 days at
 * the queue's recent inflow (P10 / P50 / P90 of the engine's runs, no new entries counted), the
 * share of it repaid within 30 / 90 / 365 days, and what every yuan of new sales adds.
 */
export function LiabilityProjection({ queueId }: { queueId: number }) {
  const [input, setInput] = useState<QueueProjectionInput | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    fetchQueueProjectionInput(queueId).then(setInput, (e: Error) => setError(e.message))
  }, [queueId])
  if (error) return <Alert type='error' message={error} />
  if (!input) return <Spin />
  const hour = Math.floor(Date.parse(input.as_of) / 3_600_000)
  const model = modelFromQueueInput(input, { seed: seedFrom(`${queueId}:${hour}`), runs: 1000 })
  const owed = Number(input.waiting_fen)
  return (
    <div data-testid='liability-projection'>
      <Descriptions size='small' column={2} bordered items={[
        { key: 'owed', label: '当前待返（负债）', children: yuan(owed) },
        { key: 'history', label: '历史天数', children: `${model.historyDays} 天` },
        { key: 'growth', label: '新增销售的影响', span: 2, children: <span data-testid='structural-growth'>{structuralGrowthText(input.reward_bps, input.extraction_bps)}</span> },
      ]} />
      <Projection model={model} owed={owed} />
    </div>
  )
}

function Projection({ model, owed }: { model: QueueModel; owed: number }) {
  if (model.kind === 'unknown') return <Alert style={{ marginTop: 12 }} type='info' message={UNKNOWN_REASON_TEXT[model.reason]} />
  const runOff = liabilityRunOff(model, owed, DAYS)
  const repaid = (d: number) => (owed === 0 ? 100 : Math.round((100 * Math.min(owed, model.thresholds[1][Math.min(d, model.horizonDays) - 1])) / owed))
  return (
    <>
      <Descriptions style={{ marginTop: 12 }} size='small' column={3} bordered items={[30, 90, 365].map((d) => ({
        key: String(d), label: `${d} 天内可返完（按金额，P50）`, children: `${repaid(d)}%`,
      }))} />
      <RunOffChart runOff={runOff} />
      <p style={{ color: '#888' }}>
        按队列近 {model.windowDays} 天每日提取的实际分布模拟 {model.runs} 次（不计新加入的名额）：P10 为较慢的情形，P90 为较快的情形。方法见 docs/projection.md。
      </p>
    </>
  )
}

function RunOffChart({ runOff }: { runOff: ReturnType<typeof liabilityRunOff> }) {
  const el = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!el.current) return
    const chart = echarts.init(el.current)
    const line = (name: string, data: number[]) => ({ name, type: 'line', showSymbol: false, data: data.map((f) => f / 100) })
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: ['较慢（P10）', '中位（P50）', '较快（P90）'] },
      grid: { left: 70, right: 20, top: 40, bottom: 30 },
      xAxis: { type: 'category', name: '天', data: runOff.p50Fen.map((_, i) => i + 1) },
      yAxis: { type: 'value', name: '待返（元）' },
      series: [line('较慢（P10）', runOff.p10Fen), line('中位（P50）', runOff.p50Fen), line('较快（P90）', runOff.p90Fen)],
    })
    return () => chart.dispose()
  }, [runOff])
  return <div ref={el} style={{ height: 280, marginTop: 12 }} />
}

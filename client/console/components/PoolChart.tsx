import { useEffect, useRef } from 'react'
import * as echarts from 'echarts/core'
import { BarChart, LineChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'
import type { UnionPoolDayRow } from '../../services/console'

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

/** 分红池 per day (SPEC §13): the day's pool and what the payout paid as bars, the carry-over as a line, in yuan. */
export default function PoolChart({ days }: { days: UnionPoolDayRow[] }) {
  const el = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!el.current) return
    const chart = echarts.init(el.current)
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: ['当日分红池', '分红发放', '结转'] },
      grid: { left: 60, right: 30, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
      yAxis: { type: 'value', name: '元' },
      series: [
        { name: '当日分红池', type: 'bar', data: days.map((d) => Number(d.pool_fen) / 100) },
        { name: '分红发放', type: 'bar', data: days.map((d) => Number(d.paid_fen) / 100) },
        { name: '结转', type: 'line', data: days.map((d) => Number(d.carry_over_fen) / 100) },
      ],
    })
    const onResize = () => chart.resize()
    window.addEventListener('resize', onResize)
    return () => { window.removeEventListener('resize', onResize); chart.dispose() }
  }, [days])
  return <div ref={el} style={{ height: 300 }} data-testid='pool-chart' />
}

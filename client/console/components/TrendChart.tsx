import { useEffect, useRef } from 'react'
import * as echarts from 'echarts/core'
import { LineChart, BarChart } from 'echarts/charts'
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer])

/** Liability (Σ remaining of waiting entries) at the end of each day, and that day's extraction inflow, in yuan. */
export default function TrendChart({ days }: { days: Array<{ day: string; owed_fen: number; extraction_fen: number }> }) {
  const el = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!el.current) return
    const chart = echarts.init(el.current)
    chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { top: 0, data: ['待返总额（负债）', '当日提取'] },
      grid: { left: 60, right: 60, top: 40, bottom: 30 },
      xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
      yAxis: [{ type: 'value', name: '负债（元）' }, { type: 'value', name: '提取（元）' }],
      series: [
        { name: '待返总额（负债）', type: 'line', smooth: true, data: days.map((d) => Number(d.owed_fen) / 100) },
        { name: '当日提取', type: 'bar', yAxisIndex: 1, data: days.map((d) => Number(d.extraction_fen) / 100) },
      ],
    })
    const onResize = () => chart.resize()
    window.addEventListener('resize', onResize)
    return () => { window.removeEventListener('resize', onResize); chart.dispose() }
  }, [days])
  return <div ref={el} style={{ height: 300 }} />
}

import { Suspense, lazy, useEffect, useState } from 'react'
import { Alert, Button, Card, Col, Row, Segmented, Spin, Statistic, Tag } from 'antd'
import { SimpleTable } from '../components/SimpleTable'
import { ApiError } from '../../services/errors'
import { fetchDashboard, retrySettlement, type Dashboard as Data } from '../../services/console'
import { SCOPE_LABELS, time, yuan } from '../format'

const TrendChart = lazy(() => import('../components/TrendChart'))

const FIGURES: Array<[keyof Data['periods']['1'], string, boolean]> = [
  ['orders', '支付订单数', false], ['paid_fen', '支付金额', true], ['extraction_fen', '提取金额', true],
  ['distributed_fen', '已分配返利', true], ['retained_fen', '平台留存', true], ['new_entries', '新增排队名额', false],
  ['completed_entries', '完成名额', false], ['commission_fen', '分销佣金', true], ['withdrawn_fen', '提现打款', true],
]

/** 数据概览 */
export default function Dashboard() {
  const [data, setData] = useState<Data | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [period, setPeriod] = useState<'1' | '7' | '30'>('1')
  const load = () => fetchDashboard().then(setData, (e) => setError(e instanceof ApiError ? e.message : '加载失败'))
  useEffect(() => { void load() }, [])
  if (error) return <Alert type='error' showIcon message={error} />
  if (!data) return <Spin />
  const p = data.periods[period]
  return (
    <div data-testid='page-dashboard'>
      <Card title='经营数据' extra={<Segmented value={period} onChange={(v) => setPeriod(v as '1')}
        options={[{ label: '今日', value: '1' }, { label: '近7天', value: '7' }, { label: '近30天', value: '30' }]} />}>
        <Row gutter={[16, 16]}>
          {FIGURES.map(([k, label, money]) => (
            <Col span={8} key={k}><Statistic title={label} value={money ? yuan(p[k]) : p[k]} /></Col>
          ))}
        </Row>
      </Card>
      <Row gutter={16} style={{ marginTop: 16 }}>
        <Col span={8}>
          <Card title='负债（待返总额）'>
            <Statistic title='排队中名额的待返总额' value={yuan(data.liability.owed_fen)} data-testid='liability-total' />
            <Statistic title='排队中名额' value={data.liability.waiting} />
            <Statistic title='覆盖天数（按近30天提取）' value={data.liability.coverage_days ?? '无提取'} />
          </Card>
        </Col>
        <Col span={16}>
          <Card title='负债趋势（近30天）'>
            <Suspense fallback={<Spin />}><TrendChart days={data.trend} /></Suspense>
          </Card>
        </Col>
      </Row>
      <Card title='账目自检与运行' style={{ marginTop: 16 }}>
        {data.reconcile.clean
          ? <Alert type='success' showIcon message='账目自检正常：所有账目恒等式成立' data-testid='reconcile-ok' />
          : <Alert type='error' showIcon message={`账目自检发现 ${data.reconcile.findings} 处问题`}
              description={data.reconcile.first.map((f) => `${f.check_name} ${f.subject}: 应为 ${f.expected ?? '—'}，实为 ${f.actual ?? '—'}`).join('；')} />}
        {data.parked.length > 0 && (
          <div style={{ marginTop: 12 }}>
            <div style={{ marginBottom: 8 }}>结算暂停的订单</div>
            <SimpleTable rows={data.parked} rowKey={(r) => r.order_no} columns={[
              { title: '订单号', render: (r) => r.order_no }, { title: '队列', render: (r) => r.queue_id },
              { title: '受理时间', render: (r) => time(r.accepted_at) }, { title: '错误', render: (r) => r.last_error },
              { title: '操作', render: (r) => <Button size='small' onClick={() => retrySettlement(r.order_no).then(load)}>重新结算</Button> },
            ]} />
          </div>
        )}
        {data.missing_schedules.length > 0 && (
          <Alert style={{ marginTop: 12 }} type='warning' showIcon message='定时任务缺失'
            description={data.missing_schedules.map((s) => `${s.job_name}（${s.purpose}，${s.schedule}）`).join('；')} />
        )}
      </Card>
      <Card title='各队列负债' style={{ marginTop: 16 }}>
        <SimpleTable rows={data.queues.slice(0, 20)} rowKey={(q) => q.queue_id} testId='liability-queues' columns={[
          { title: '队列', render: (q) => q.name }, { title: '类型', render: (q) => <Tag>{SCOPE_LABELS[q.scope] ?? q.scope}</Tag> },
          { title: '排队中', render: (q) => q.waiting }, { title: '待返总额', render: (q) => yuan(q.owed_fen) },
          { title: '近7天提取', render: (q) => yuan(q.inflow_7d_fen) }, { title: '近30天提取', render: (q) => yuan(q.inflow_30d_fen) },
          { title: '覆盖天数', render: (q) => q.coverage_days ?? '无提取' },
        ]} />
        {data.queues.length > 20 && <div style={{ marginTop: 8 }}>负债最高的 20 个队列；全部队列见「队列」页</div>}
      </Card>
    </div>
  )
}

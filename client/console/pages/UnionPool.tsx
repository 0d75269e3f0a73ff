import { useEffect, useState } from 'react'
import { Alert, Card, Col, Modal, Row, Spin, Statistic, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { fetchUnionPayoutLog, fetchUnionPool, fetchUnionQueue, type UnionPayoutItem, type UnionPool, type UnionPoolDayRow } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import PoolChart from '../components/PoolChart'
import { time, yuan } from '../format'

/**
 * 分红池 (工会排队, SPEC §13): the pool per day (contributions, acceleration, taken back, payout,
 * entries exited, carry-over), what today has collected so far, the union queue with the owed
 * total and its coverage in days, and each day's payout log.
 */
export default function UnionPoolPage() {
  const [pool, setPool] = useState<UnionPool | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [log, setLog] = useState<{ day: string; items: UnionPayoutItem[] } | null>(null)
  useEffect(() => {
    fetchUnionPool(30).then(setPool, (e) => setError(e instanceof ApiError ? e.message : '加载失败'))
  }, [])
  const queue = useKeyset((after: number | null) => fetchUnionQueue(after, 20), (r) => r.entry_id, 20, [])
  if (!pool) return error ? <Alert type='error' showIcon message={error} /> : <Spin />
  const openLog = (d: UnionPoolDayRow) =>
    fetchUnionPayoutLog(d.day).then((r) => setLog({ day: d.day, items: r.items }), (e) => setError(e instanceof ApiError ? e.message : '加载失败'))
  return (
    <div data-testid='page-union'>
      {pool.programme_mode !== 'union' && <Alert style={{ marginBottom: 16 }} type='info' showIcon message='当前运营模式为排队返利（经典），工会排队未启用' />}
      {pool.paused && <Alert style={{ marginBottom: 16 }} type='warning' showIcon message='队列奖励已暂停：每日分红不发放，分红池全部结转' />}
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={4}><Card><Statistic title='结转（分红池余额）' value={yuan(pool.carry_over_fen)} data-testid='union-carry' /></Card></Col>
        <Col span={4}><Card><Statistic title='今日已入池' value={yuan(Number(pool.open.contribution_fen) - Number(pool.open.acceleration_fen))} data-testid='union-open' /></Card></Col>
        <Col span={4}><Card><Statistic title='排队中名额' value={pool.waiting_entries} data-testid='union-waiting' /></Card></Col>
        <Col span={4}><Card><Statistic title='待返总额' value={yuan(pool.owed_fen)} data-testid='union-owed' /></Card></Col>
        <Col span={4}><Card><Statistic title='近 30 天日均分红池' value={yuan(pool.avg_daily_pool_fen)} /></Card></Col>
        <Col span={4}><Card><Statistic title='覆盖天数' value={pool.coverage_days === null ? '无法估计' : `${pool.coverage_days} 天`} data-testid='union-coverage' /></Card></Col>
      </Row>
      <Card title={`分红池（每日 ${pool.payout_time} 发放上一日）`} style={{ marginBottom: 16 }}>
        <PoolChart days={pool.days} />
        <Table size='small' rowKey='day' pagination={false} dataSource={[...pool.days].reverse()} data-testid='union-days'
          columns={[
            { title: '日期', dataIndex: 'day' },
            { title: '入池', dataIndex: 'contribution_fen', render: yuan },
            { title: '推广加速', dataIndex: 'acceleration_fen', render: yuan },
            { title: '退款扣回', dataIndex: 'takeback_fen', render: yuan },
            { title: '上日结转', dataIndex: 'carry_in_fen', render: yuan },
            { title: '可分红', dataIndex: 'available_fen', render: yuan },
            { title: '分红发放', dataIndex: 'paid_fen', render: yuan },
            { title: '返满出列', dataIndex: 'entries_paid' },
            { title: '结转', dataIndex: 'carry_over_fen', render: yuan },
            { title: '状态', dataIndex: 'held', render: (h: boolean) => (h ? <Tag color='orange'>暂停</Tag> : <Tag color='green'>已发放</Tag>) },
            { title: '', render: (_, d) => <a data-testid={`union-log-${d.day}`} onClick={() => void openLog(d)}>分红记录</a> },
          ]} />
      </Card>
      <Card title='工会队列（排队中，按顺序）'>
        <Table size='small' rowKey='entry_id' loading={queue.loading} dataSource={queue.rows} pagination={false} data-testid='union-queue'
          columns={[
            { title: '位置', dataIndex: 'position' }, { title: '会员', render: (_, r) => `${r.nickname}（${r.member_code}）` },
            { title: '订单', dataIndex: 'order_no' }, { title: '分红额度', dataIndex: 'quota_fen', render: yuan },
            { title: '已返', dataIndex: 'received_fen', render: yuan }, { title: '其中推广加速', dataIndex: 'accelerated_fen', render: yuan },
            { title: '待返', dataIndex: 'remaining_fen', render: yuan }, { title: '加入时间', dataIndex: 'created_at', render: time },
          ]} />
        <Pager page={queue.page} hasNext={queue.hasNext} prev={queue.prev} next={queue.next} error={queue.error} />
      </Card>
      <Modal open={log !== null} width={760} title={`${log?.day ?? ''} 分红记录`} footer={null} onCancel={() => setLog(null)}>
        <Table size='small' rowKey='entry_id' pagination={false} dataSource={log?.items ?? []} data-testid='union-log'
          columns={[
            { title: '名额', dataIndex: 'entry_id' }, { title: '会员', render: (_, r) => `${r.nickname}（${r.member_code}）` },
            { title: '订单', dataIndex: 'order_no' }, { title: '分红额度', dataIndex: 'quota_fen', render: yuan },
            { title: '推广加速', dataIndex: 'accelerated_fen', render: yuan }, { title: '本次分红', dataIndex: 'amount_fen', render: yuan },
          ]} />
      </Modal>
    </div>
  )
}

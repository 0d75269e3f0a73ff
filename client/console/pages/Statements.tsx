import { useState } from 'react'
import { App, Button, Card, Segmented, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { listStatementDifferences, listStatements, resolveStatementDifference } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useReasonPrompt } from '../components/ReasonModal'
import { time, yuan } from '../format'

const amount = (fen: number | null) => (fen === null || fen === undefined ? '—' : yuan(fen))

/**
 * 对账: WeChat Pay's trade bill of each day against our payments and refunds (the
 * statement-download job, daily). Every difference stays listed until finance resolves it with
 * a reason (audited); the last downloaded days with their totals below.
 */
export default function Statements() {
  const { message } = App.useApp()
  const [status, setStatus] = useState('open')
  const diffs = useKeyset((before: number | null) => listStatementDifferences(status === 'all' ? null : status, null, before, 20),
    (d) => d.difference_id, 20, [status])
  const days = useKeyset((before: string | null) => listStatements(before, 10), (d) => d.bill_date, 10, [])
  const reason = useReasonPrompt()
  return (
    <Card title='对账' data-testid='page-statements'>
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(String(v))}
        options={[{ label: '待处理', value: 'open' }, { label: '已处理', value: 'resolved' }, { label: '全部', value: 'all' }]} />
      <Table size='small' rowKey='difference_id' loading={diffs.loading} dataSource={diffs.rows} pagination={false}
        columns={[
          { title: '账单日', dataIndex: 'bill_date' },
          { title: '类型', render: (_, d) => `${d.subject_label} · ${d.kind_label}` },
          { title: '单号', render: (_, d) => <span data-testid={`diff-${d.difference_id}`}>{d.out_trade_no ?? d.ref}{d.subject === 'refund' ? `（退款 ${d.ref}）` : ''}</span> },
          { title: '我方', render: (_, d) => `${amount(d.our_fen)}${d.our_state ? ` ${d.our_state}` : ''}` },
          { title: '微信', render: (_, d) => `${amount(d.their_fen)}${d.their_state ? ` ${d.their_state}` : ''}` },
          { title: '发现时间', dataIndex: 'created_at', render: time },
          { title: '处理', render: (_, d) => d.status === 'resolved'
            ? <span><Tag color='green'>已处理</Tag>{d.resolve_reason}（{d.resolved_by_code}）</span>
            : <Button size='small' type='primary' data-testid={`resolve-${d.difference_id}`} onClick={() => reason.ask('标记已处理',
                '写明核实结果或处理方式（如已补单、已退款、微信侧原因），记入操作日志。',
                (r) => resolveStatementDifference(d.difference_id, r).then(() => { message.success('已标记处理'); void diffs.reload(); void days.reload() },
                  (e) => { message.error(e instanceof ApiError ? e.message : '操作失败'); throw e }))}>标记已处理</Button> },
        ]} />
      <Pager page={diffs.page} hasNext={diffs.hasNext} prev={diffs.prev} next={diffs.next} error={diffs.error} />
      <h4 style={{ marginTop: 24 }}>已下载账单</h4>
      <Table size='small' rowKey='bill_date' loading={days.loading} dataSource={days.rows} pagination={false}
        columns={[
          { title: '账单日', dataIndex: 'bill_date' },
          { title: '支付', render: (_, s) => `${s.pay_count} 笔 ${yuan(s.pay_fen)}` },
          { title: '退款', render: (_, s) => `${s.refund_count} 笔 ${yuan(s.refund_fen)}` },
          { title: '差异', render: (_, s) => (s.open > 0 ? <Tag color='red'>{s.open} 条待处理</Tag> : <Tag color='green'>已平</Tag>) },
          { title: '下载时间', dataIndex: 'downloaded_at', render: time },
        ]} />
      <Pager page={days.page} hasNext={days.hasNext} prev={days.prev} next={days.next} error={days.error} />
      {reason.modal}
    </Card>
  )
}

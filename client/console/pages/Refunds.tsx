import { useState } from 'react'
import { Alert, App, Button, Card, Segmented, Space, Table, Tabs, Tag, Typography } from 'antd'
import { ApiError } from '../../services/errors'
import {
  approveRefundRequest, listRefundRequests, listRefunds, rejectRefundRequest, retryRefund,
  type ConsoleRefund, type ConsoleRefundRequest,
} from '../../services/console-refunds'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useReasonPrompt } from '../components/ReasonModal'
import { time, yuan } from '../format'

const COLORS: Record<string, string> = {
  created: 'orange', processing: 'blue', success: 'green', abnormal: 'red', closed: 'default', failed: 'red',
  pending: 'orange', approved: 'green', rejected: 'red', cancelled: 'default',
}

/** What finance sees of one refund: its state, and what to do when it needs a person. */
export function RefundState({ r }: { r: ConsoleRefund }) {
  return (
    <Space direction='vertical' size={2}>
      <Tag color={COLORS[r.status]} data-testid={`refund-state-${r.out_refund_no}`}>{r.status_label}</Tag>
      {r.advice && r.status !== 'processing' && <Typography.Text type={r.status === 'abnormal' || r.status === 'failed' ? 'danger' : 'secondary'} style={{ fontSize: 12 }}>{r.advice}</Typography.Text>}
    </Space>
  )
}

/** 退款售后 (财务, 超级管理员): members' refund requests to approve or reject, and every refund through WeChat Pay with its state. */
export default function Refunds() {
  return (
    <Card title='退款售后' data-testid='page-refunds'>
      <Tabs items={[
        { key: 'requests', label: '退款申请', children: <Requests /> },
        { key: 'refunds', label: '退款记录', children: <RefundList /> },
      ]} />
    </Card>
  )
}

function Requests() {
  const { message } = App.useApp()
  const [status, setStatus] = useState('pending')
  const list = useKeyset((before: number | null) => listRefundRequests(status === 'all' ? null : status, before, 20), (q) => q.request_id, 20, [status])
  const reason = useReasonPrompt()
  const [busy, setBusy] = useState<number | null>(null)
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  const approve = (q: ConsoleRefundRequest) => {
    setBusy(q.request_id)
    approveRefundRequest(q.request_id).then((r) => {
      message.success(`已同意，${r.status_label}：退款 ${yuan(r.refund_fen)}`)
      void list.reload()
    }, fail).finally(() => setBusy(null))
  }
  return (
    <>
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(String(v))}
        options={[{ label: '待审核', value: 'pending' }, { label: '已同意', value: 'approved' }, { label: '已驳回', value: 'rejected' }, { label: '全部', value: 'all' }]} />
      <Table size='small' rowKey='request_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '编号', dataIndex: 'request_id' }, { title: '订单号', dataIndex: 'order_no' },
          { title: '会员', render: (_, q) => `${q.nickname}（${q.member_code}）` },
          { title: '商品', render: (_, q) => q.lines.map((l) => `${l.name}×${l.quantity}`).join('、') },
          { title: '可退', dataIndex: 'refundable_fen', render: yuan }, { title: '原因', dataIndex: 'reason' },
          { title: '申请时间', dataIndex: 'requested_at', render: time },
          { title: '状态', render: (_, q) => q.refund ? <RefundState r={q.refund} /> : <Tag color={COLORS[q.status]}>{q.status_label}</Tag> },
          { title: '操作', render: (_, q) => q.status === 'pending' && <Space>
            <Button size='small' type='primary' loading={busy === q.request_id} data-testid={`approve-r-${q.request_id}`} onClick={() => approve(q)}>同意退款</Button>
            <Button size='small' danger data-testid={`reject-r-${q.request_id}`} onClick={() => reason.ask('驳回退款申请', '会员将看到驳回原因。',
              (r) => rejectRefundRequest(q.request_id, r).then(() => { message.success('已驳回'); void list.reload() }, (e) => { fail(e); throw e }))}>驳回</Button>
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      {reason.modal}
    </>
  )
}

function RefundList() {
  const { message } = App.useApp()
  const [status, setStatus] = useState('open')
  const list = useKeyset((before: number | null) => listRefunds(status === 'all' ? null : status, null, before, 20), (r) => r.refund_no, 20, [status])
  const [busy, setBusy] = useState<string | null>(null)
  const retry = (r: ConsoleRefund) => {
    setBusy(r.out_refund_no)
    retryRefund(r.out_refund_no).then((x) => { message.info(`${x.out_refund_no}：${x.status_label}`); void list.reload() },
      (e) => message.error(e instanceof ApiError ? e.message : '操作失败')).finally(() => setBusy(null))
  }
  return (
    <>
      <Alert type='info' showIcon style={{ marginBottom: 12 }} message='退款金额按 SPEC §10 在发起时确定：实付减去该商品排队名额已返的现金；微信支付退款成功后名额失效、抵扣的积分和爱心值退回。退款单号不变的重试不会重复退款。订单取消后才到账的付款（取消后到账）自动全额原路退回。' />
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(String(v))}
        options={[{ label: '处理中', value: 'open' }, { label: '已退款', value: 'success' }, { label: '异常', value: 'abnormal' }, { label: '关闭/失败', value: 'closed' }, { label: '全部', value: 'all' }]} />
      <Table size='small' rowKey='refund_no' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '退款单号', dataIndex: 'out_refund_no' }, { title: '订单号', dataIndex: 'out_trade_no' },
          { title: '会员', render: (_, r) => `${r.nickname}（${r.member_code}）` }, { title: '行', render: (_, r) => r.line_nos.join('、') },
          { title: '退款金额', dataIndex: 'refund_fen', render: yuan },
          { title: '原因', render: (_, r) => (r.late_payment
            ? <Space direction='vertical' size={2}><Tag color='purple' data-testid={`refund-late-${r.out_refund_no}`}>{r.kind_label}</Tag>{r.reason}</Space>
            : r.reason) },
          { title: '发起时间', dataIndex: 'created_at', render: time },
          { title: '状态', render: (_, r) => <RefundState r={r} /> },
          { title: '操作', render: (_, r) => (r.status === 'created' || r.status === 'processing' || r.status === 'abnormal'
            ? <Button size='small' loading={busy === r.out_refund_no} onClick={() => retry(r)}>{r.status === 'created' ? '重试' : '查询'}</Button>
            : (r.status === 'closed' || r.status === 'failed') && !r.retried
              ? <Button size='small' type='primary' loading={busy === r.out_refund_no} onClick={() => retry(r)}>重新发起</Button> : null) },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
    </>
  )
}

import { useState } from 'react'
import { Alert, App, Button, Card, DatePicker, Descriptions, Drawer, Input, InputNumber, Select, Space, Spin, Table, Tag } from 'antd'
import { fetchOrderDetail, listOrders, previewRefund, type OrderDetail, type OrderFilter, type RefundPreview } from '../../services/console'
import { ApiError } from '../../services/errors'
import { startRefund, type ConsoleRefund } from '../../services/console-refunds'
import { useReasonPrompt } from '../components/ReasonModal'
import { RefundState } from './Refunds'
import { canEdit } from '../routes'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useMe } from '../context'
import { CHANNEL_LABELS, time, yuan } from '../format'

type Row = Record<string, any>
const STATUS = [['pending', '待支付'], ['paid', '已支付'], ['completed', '已完成'], ['refunded', '已退款'], ['cancelled', '已取消']]

/** 订单: filter by channel, status, store and date; an order's lines, entries, distributions and rewards. */
export default function Orders() {
  const me = useMe()
  const [f, setF] = useState<OrderFilter>({})
  const list = useKeyset((before: number | null) => listOrders(f, before, 20), (o) => o.order_id, 20, [JSON.stringify(f)])
  const [detail, setDetail] = useState<OrderDetail | null>(null)
  const [loading, setLoading] = useState(false)
  const open = async (no: string) => { setLoading(true); setDetail(await fetchOrderDetail(no).finally(() => setLoading(false))) }
  const d = detail as Row | null
  const [picked, setPicked] = useState<number[]>([])
  const [preview, setPreview] = useState<RefundPreview | null>(null)
  const [previewError, setPreviewError] = useState<string | null>(null)
  const mayRefund = canEdit(me.roles, ['finance'])
  const { message } = App.useApp()
  const reason = useReasonPrompt()
  const [refund, setRefund] = useState<ConsoleRefund | null>(null)
  // 退款: after the preview, the refund itself — recorded with the amount SPEC §10 gives now and
  // sent to WeChat Pay (refund-start); its state and, when it needs a person, what to do
  const runRefund = () => reason.ask('确认退款', `按预览退款 ${yuan(preview!.refund_fen)}（经微信支付原路退回）。请填写退款原因：`, async (r) => {
    try {
      const done = await startRefund(d!.order_no, picked.length ? picked : null, r)
      setRefund(done)
      setPreview(null)
      setPicked([])
      message.success(`退款单 ${done.out_refund_no}：${done.status_label}`)
      setDetail(await fetchOrderDetail(d!.order_no))
    } catch (e) {
      message.error(e instanceof ApiError ? e.message : '退款失败')
      throw e
    }
  })
  const runPreview = () => {
    setPreviewError(null)
    previewRefund(d!.order_no, picked.length ? picked : null).then(setPreview, (e) => { setPreview(null); setPreviewError(e instanceof ApiError ? e.message : '预览失败') })
  }
  return (
    <Card title='订单' data-testid='page-orders'>
      <Space wrap style={{ marginBottom: 12 }}>
        <Select allowClear placeholder='渠道' style={{ width: 120 }} onChange={(v) => setF({ ...f, channel: v ?? null })}
          options={Object.entries(CHANNEL_LABELS).map(([value, label]) => ({ value, label }))} />
        <Select allowClear placeholder='状态' style={{ width: 120 }} onChange={(v) => setF({ ...f, status: v ?? null })}
          options={STATUS.map(([value, label]) => ({ value, label }))} />
        {me.stores.length > 0 && me.roles.every((r) => r === 'store_owner')
          ? <Select allowClear placeholder='门店' style={{ width: 180 }} onChange={(v) => setF({ ...f, storeId: v ?? null })}
              options={me.stores.map((s) => ({ value: s.store_id, label: s.name }))} />
          : <InputNumber placeholder='门店ID' onChange={(v) => setF({ ...f, storeId: v === null ? null : Number(v) })} />}
        <DatePicker.RangePicker onChange={(_, s) => setF({ ...f, from: s[0] || null, to: s[1] || null })} />
        <Input.Search placeholder='订单号' allowClear onSearch={(v) => setF({ ...f, orderNo: v.trim() || null })} />
      </Space>
      <Table size='small' rowKey='order_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '订单号', dataIndex: 'order_no' }, { title: '渠道', dataIndex: 'channel', render: (c: string) => CHANNEL_LABELS[c] ?? c },
          { title: '门店', dataIndex: 'store_name' }, { title: '会员', render: (_, o) => `${o.nickname}（${o.member_code}）` },
          { title: '实付', dataIndex: 'pay_fen', render: yuan }, { title: '已退款', dataIndex: 'refunded_fen', render: yuan },
          { title: '状态', dataIndex: 'status_label', render: (s: string) => <Tag>{s}</Tag> }, { title: '下单时间', dataIndex: 'created_at', render: time },
          { title: '', render: (_, o) => <Button size='small' onClick={() => void open(o.order_no)}>详情</Button> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      {reason.modal}
      <Drawer width={960} open={!!detail || loading} onClose={() => { setDetail(null); setPreview(null); setPicked([]); setPreviewError(null); setRefund(null) }} title={d ? `订单 ${d.order_no}` : ''}>
        {!d ? <Spin /> : (
          <Space direction='vertical' style={{ width: '100%' }}>
            <Descriptions bordered size='small' column={3}>
              <Descriptions.Item label='会员'>{d.member_code}</Descriptions.Item>
              <Descriptions.Item label='渠道'>{CHANNEL_LABELS[d.channel] ?? d.channel}</Descriptions.Item>
              <Descriptions.Item label='状态'>{d.status_label}</Descriptions.Item>
              <Descriptions.Item label='商品金额'>{yuan(d.goods_fen)}</Descriptions.Item>
              <Descriptions.Item label='实付'>{yuan(d.pay_fen)}</Descriptions.Item>
              <Descriptions.Item label='已退款'>{yuan(d.refunded_fen)}</Descriptions.Item>
            </Descriptions>
            <Table size='small' rowKey='line_no' title={() => '商品行'} pagination={false} dataSource={(d.lines ?? []) as Row[]}
              rowSelection={mayRefund ? { selectedRowKeys: picked, onChange: (keys) => setPicked(keys.map(Number)), getCheckboxProps: (l) => ({ disabled: !!l.refunded }) } : undefined}
              columns={[{ title: '行', dataIndex: 'line_no' }, { title: '商品', dataIndex: 'name' }, { title: '数量', dataIndex: 'quantity' },
                { title: '实付', dataIndex: 'pay_fen', render: yuan }, { title: '权益', dataIndex: 'entitlement_fen', render: yuan }, { title: '比例', dataIndex: 'reward_bps', render: (b: number | null) => (b === null ? '—' : `${b / 100}%`) }]} />
            <Table size='small' rowKey='entry_id' title={() => '排队名额'} pagination={false} dataSource={d.entries as Row[]}
              columns={[{ title: '名额', dataIndex: 'entry_id' }, { title: '队列', dataIndex: 'queue_id' }, { title: '位置', dataIndex: 'seq' },
                { title: '总权益', dataIndex: 'entitlement_fen', render: yuan }, { title: '已返', dataIndex: 'received_fen', render: yuan }, { title: '状态', dataIndex: 'status_label' }]} />
            <Table size='small' rowKey={(r) => `${r.entry_id}-${r.created_at}`} title={() => '本单提取分配给'} pagination={false} dataSource={d.paid_to as Row[]}
              columns={[{ title: '名额', dataIndex: 'entry_id' }, { title: '会员', dataIndex: 'member_code' }, { title: '金额', dataIndex: 'amount_fen', render: yuan }]} />
            <Table size='small' rowKey={(r) => `${r.kind}-${r.member_code}`} title={() => '分销奖励'} pagination={false} dataSource={d.rewards as Row[]}
              columns={[{ title: '类型', dataIndex: 'kind_label' }, { title: '会员', dataIndex: 'member_code' }, { title: '金额', dataIndex: 'amount_fen', render: yuan }, { title: '已退回', dataIndex: 'reversed_fen', render: yuan }]} />
            {mayRefund && (
              <Space direction='vertical' style={{ width: '100%' }}>
                <Button onClick={runPreview} data-testid='refund-preview'>退款预览{picked.length ? `（第 ${picked.join('、')} 行）` : '（整单）'}</Button>
                {previewError && <Alert type='error' showIcon message={previewError} />}
                {preview && (
                  <Table size='small' rowKey='line_no' pagination={false} dataSource={preview.lines} data-testid='refund-preview-table'
                    title={() => `可退 ${yuan(preview.refund_fen)}，扣回已返 ${yuan(preview.clawback_fen)}，作废待返 ${yuan(preview.forfeited_fen)}，平台承担已分配提取 ${yuan(preview.cost_fen)}`}
                    columns={[{ title: '行', dataIndex: 'line_no' }, { title: '商品', dataIndex: 'name' }, { title: '实付', dataIndex: 'pay_fen', render: yuan },
                      { title: '已返（扣回）', dataIndex: 'clawback_fen', render: yuan }, { title: '可退金额', dataIndex: 'refund_fen', render: yuan },
                      { title: '作废待返', dataIndex: 'forfeited_fen', render: yuan }, { title: '退回积分', dataIndex: 'points_back' }]} />
                )}
                {preview && <Button type='primary' danger onClick={runRefund} data-testid='refund-execute'>确认退款 {yuan(preview.refund_fen)}</Button>}
                {refund && (
                  <Alert type={refund.status === 'success' ? 'success' : refund.status === 'processing' ? 'info' : 'warning'} showIcon data-testid='refund-result'
                    message={`退款单 ${refund.out_refund_no}：${yuan(refund.refund_fen)}`} description={<RefundState r={refund} />} />
                )}
              </Space>
            )}
            <Alert type='info' showIcon message='退款' description='退款经微信支付退款接口原路退回（SPEC §16）：金额在发起时按 SPEC §10 确定（已返金额从退款中扣回），微信支付退款成功后名额失效、抵扣退回。进度见「退款售后」。' />
          </Space>
        )}
      </Drawer>
    </Card>
  )
}

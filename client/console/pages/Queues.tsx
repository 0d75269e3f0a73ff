import { useState } from 'react'
import { App, Button, Card, Drawer, Select, Space, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { entrySources, forceExitEntry, listEntries, listQueues, type ConsoleEntry, type ConsoleQueue } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useReasonPrompt } from '../components/ReasonModal'
import { useAdjustBalance } from '../components/AdjustBalance'
import { canEdit } from '../routes'
import { useMe } from '../context'
import { SCOPE_LABELS, pct, time, yuan } from '../format'
import { LiabilityProjection } from '../components/LiabilityProjection'

const STATUSES = [['waiting', '排队中'], ['completed', '已完成'], ['exchanged', '已兑换'], ['cleared', '已清零'], ['voided', '已失效']]

function Entries({ queue }: { queue: ConsoleQueue }) {
  const me = useMe()
  const { message, modal } = App.useApp()
  const [status, setStatus] = useState<string | null>('waiting')
  const list = useKeyset((after: number | null) => listEntries(queue.queue_id, status, after, 20), (e) => e.seq, 20, [queue.queue_id, status])
  const reason = useReasonPrompt()
  const adjust = useAdjustBalance()
  const showSources = async (e: ConsoleEntry) => {
    const rows = await entrySources(e.entry_id)
    modal.info({ title: `名额 #${e.entry_id} 的到账来源`, width: 640, content: (
      <Table size='small' rowKey='distribution_id' pagination={false} dataSource={rows}
        columns={[{ title: '来源订单', dataIndex: 'order_no' }, { title: '商品行', dataIndex: 'line_no' }, { title: '金额', dataIndex: 'amount_fen', render: yuan }, { title: '时间', dataIndex: 'created_at', render: time }]} />) })
  }
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Select style={{ width: 140 }} allowClear placeholder='全部状态' value={status} onChange={(v) => setStatus(v ?? null)}
          options={STATUSES.map(([value, label]) => ({ value, label }))} />
      </Space>
      <Table size='small' rowKey='entry_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '位置', dataIndex: 'seq' }, { title: '会员', render: (_, e) => `${e.nickname}（${e.member_code}）` },
          { title: '订单', dataIndex: 'order_no' }, { title: '比例', dataIndex: 'reward_bps', render: pct },
          { title: '总权益', dataIndex: 'entitlement_fen', render: yuan }, { title: '已返', dataIndex: 'received_fen', render: yuan },
          { title: '待返', dataIndex: 'remaining_fen', render: yuan }, { title: '状态', dataIndex: 'status_label', render: (s: string) => <Tag>{s}</Tag> },
          { title: '操作', render: (_, e) => <Space>
            <Button size='small' onClick={() => void showSources(e)}>来源</Button>
            {e.status === 'waiting' && canEdit(me.roles, ['operations']) && <Button size='small' danger data-testid={`force-exit-${e.entry_id}`}
              onClick={() => reason.ask('强制出队', `名额 #${e.entry_id}（待返 ${yuan(e.remaining_fen)}）将移出队列，未返部分不再返还。`, async (r) => {
                try {
                  const x = await forceExitEntry(e.entry_id, r)
                  message.success(`已出队，作废待返 ${yuan(x.forfeited_fen)}`)
                  void list.reload()
                } catch (err) { message.error(err instanceof ApiError ? err.message : '操作失败'); throw err }
              })}>强制出队</Button>}
            {canEdit(me.roles, ['finance']) && <Button size='small' onClick={() => adjust.open(e.member_id, `${e.nickname}（${e.member_code}）`)}>余额调整</Button>}
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      {reason.modal}
      {adjust.modal}
    </>
  )
}

/** 队列: every queue with its figures; a queue's entries page by page, 强制出队, 余额调整. */
export default function Queues() {
  const me = useMe()
  const staff = me.roles.some((r) => r !== 'store_owner')
  const list = useKeyset((after: number | null) => listQueues(after, 50), (q) => q.queue_id, 50, [])
  const [open, setOpen] = useState<ConsoleQueue | null>(null)
  const [projected, setProjected] = useState<ConsoleQueue | null>(null)
  const forecasts = canEdit(me.roles, ['operations', 'finance'])
  return (
    <Card title='队列' data-testid='page-queues'>
      <Table size='small' rowKey='queue_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: 'ID', dataIndex: 'queue_id' }, { title: '队列', dataIndex: 'name' },
          { title: '类型', dataIndex: 'scope', render: (s: string) => SCOPE_LABELS[s] ?? s },
          { title: '排队中', dataIndex: 'waiting' }, { title: '待返总额', dataIndex: 'owed_fen', render: yuan },
          { title: '近7天提取', dataIndex: 'inflow_7d_fen', render: yuan }, { title: '近30天提取', dataIndex: 'inflow_30d_fen', render: yuan },
          { title: '平台留存', dataIndex: 'retained_fen', render: yuan }, { title: '队首位置', dataIndex: 'head_seq' },
          { title: '', render: (_, q) => staff && <Space>
            <Button size='small' onClick={() => setOpen(q)} data-testid={`queue-entries-${q.queue_id}`}>名额</Button>
            {forecasts && <Button size='small' onClick={() => setProjected(q)} data-testid={`queue-projection-${q.queue_id}`}>负债预测</Button>}
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      <Drawer width={1100} open={!!open} onClose={() => setOpen(null)} title={`队列：${open?.name ?? ''}`} destroyOnHidden>
        {open && <Entries queue={open} />}
      </Drawer>
      <Drawer width={900} open={!!projected} onClose={() => setProjected(null)} title={`负债预测：${projected?.name ?? ''}`} destroyOnHidden>
        {projected && <LiabilityProjection queueId={projected.queue_id} />}
      </Drawer>
    </Card>
  )
}

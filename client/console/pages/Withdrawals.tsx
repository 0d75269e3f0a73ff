import { useState } from 'react'
import { App, Button, Card, Input, Modal, Segmented, Space, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { approveWithdrawal, listWithdrawals, rejectWithdrawal, type ConsoleWithdrawal } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useReasonPrompt } from '../components/ReasonModal'
import { time, yuan } from '../format'

/** 提现审核: pending withdrawals to approve (with the transfer's reference) or reject with a reason; history. */
export default function Withdrawals() {
  const { message } = App.useApp()
  const [status, setStatus] = useState('pending')
  const list = useKeyset((before: number | null) => listWithdrawals(status === 'all' ? null : status, before, 20), (w) => w.withdrawal_id, 20, [status])
  const reason = useReasonPrompt()
  const [approving, setApproving] = useState<ConsoleWithdrawal | null>(null)
  const [ref, setRef] = useState('')
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  return (
    <Card title='提现审核' data-testid='page-withdrawals'>
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(String(v))}
        options={[{ label: '待审核', value: 'pending' }, { label: '已打款', value: 'approved' }, { label: '已驳回', value: 'rejected' }, { label: '全部', value: 'all' }]} />
      <Table size='small' rowKey='withdrawal_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '编号', dataIndex: 'withdrawal_id' }, { title: '会员', render: (_, w) => `${w.nickname}（${w.member_code}）` },
          { title: '类型', dataIndex: 'asset', render: (a: string) => (a === 'cash' ? '返现' : '佣金') },
          { title: '申请金额', dataIndex: 'amount_fen', render: yuan }, { title: '手续费', dataIndex: 'fee_fen', render: yuan }, { title: '实付', dataIndex: 'net_fen', render: yuan },
          { title: '申请时间', dataIndex: 'requested_at', render: time },
          { title: '状态', render: (_, w) => <Tag color={w.status === 'approved' ? 'green' : w.status === 'rejected' ? 'red' : 'orange'}>{w.status_label}</Tag> },
          { title: '打款单号/驳回原因', render: (_, w) => w.payout_ref ?? w.reject_reason ?? '—' },
          { title: '操作', render: (_, w) => w.status === 'pending' && <Space>
            <Button size='small' type='primary' data-testid={`approve-w-${w.withdrawal_id}`} onClick={() => { setRef(`WX${Date.now()}`); setApproving(w) }}>通过</Button>
            <Button size='small' danger data-testid={`reject-w-${w.withdrawal_id}`} onClick={() => reason.ask('驳回提现', `驳回后 ${yuan(w.amount_fen)} 退回会员余额。`,
              (r) => rejectWithdrawal(w.withdrawal_id, r).then(() => { message.success('已驳回，金额已退回'); void list.reload() }, (e) => { fail(e); throw e }))}>驳回</Button>
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      <Modal open={!!approving} title='确认打款' okText='确认已打款' cancelText='取消' onCancel={() => setApproving(null)}
        onOk={() => approveWithdrawal(approving!.withdrawal_id, ref.trim()).then(() => { message.success('已通过'); setApproving(null); void list.reload() }, fail)}>
        <p>向 {approving?.nickname} 打款 {yuan(approving?.net_fen)}。填写商家转账的单号：</p>
        <Input value={ref} onChange={(e) => setRef(e.target.value)} data-testid='payout-ref' />
      </Modal>
      {reason.modal}
    </Card>
  )
}

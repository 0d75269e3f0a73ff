import { useState } from 'react'
import { App, Button, Card, Input, Modal, Segmented, Space, Table, Tag, Tooltip } from 'antd'
import { ApiError } from '../../services/errors'
import { approveWithdrawalTransfer, listWithdrawals, rejectWithdrawal, type ConsoleWithdrawal } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useReasonPrompt } from '../components/ReasonModal'
import { time, yuan } from '../format'

/** WeChat's transfer states, as finance reads them. */
const TRANSFER_STATES: Record<string, string> = {
  created: '待发送', ACCEPTED: '已受理', PROCESSING: '转账中', WAIT_USER_CONFIRM: '待会员确认收款', TRANSFERING: '会员确认中',
  SUCCESS: '转账成功', FAIL: '转账失败', CANCELING: '撤销中', CANCELLED: '已撤销',
}
const STATUS_COLORS: Record<string, string> = { approved: 'green', paying: 'blue', rejected: 'red', returned: 'volcano', pending: 'orange' }
/** WeChat requires the payee's real name (user_name) from ¥2,000.00. */
const REAL_NAME_FROM_FEN = 200000

/**
 * 提现审核: pending withdrawals to approve — 通过并打款 pays by WeChat merchant transfer (商家转账):
 * the member confirms receipt in the mini-program — or reject with a reason; the history shows
 * each transfer's state, WeChat's bill number and, while it is retried, the last error.
 */
export default function Withdrawals() {
  const { message } = App.useApp()
  const [status, setStatus] = useState('pending')
  const list = useKeyset((before: number | null) => listWithdrawals(status === 'all' ? null : status, before, 20), (w) => w.withdrawal_id, 20, [status])
  const reason = useReasonPrompt()
  const [approving, setApproving] = useState<ConsoleWithdrawal | null>(null)
  const [realName, setRealName] = useState('')
  const [busy, setBusy] = useState(false)
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  const needsName = (approving?.net_fen ?? 0) >= REAL_NAME_FROM_FEN
  const approve = async () => {
    if (!approving) return
    setBusy(true)
    try {
      const r = await approveWithdrawalTransfer(approving.withdrawal_id, needsName ? realName.trim() : null)
      if (r.transfer.error) message.warning(`已通过，微信转账暂未成功：${r.transfer.error}。系统将自动重试`)
      else message.success(r.transfer.state === 'WAIT_USER_CONFIRM' ? '已发起微信转账，等待会员确认收款' : `已发起微信转账（${TRANSFER_STATES[r.transfer.state] ?? r.transfer.state}）`)
      setApproving(null)
      void list.reload()
    } catch (e) {
      fail(e)
    } finally {
      setBusy(false)
    }
  }
  return (
    <Card title='提现审核' data-testid='page-withdrawals'>
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(String(v))}
        options={[{ label: '待审核', value: 'pending' }, { label: '打款中', value: 'paying' }, { label: '已打款', value: 'approved' },
          { label: '已退回', value: 'returned' }, { label: '已驳回', value: 'rejected' }, { label: '全部', value: 'all' }]} />
      <Table size='small' rowKey='withdrawal_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '编号', dataIndex: 'withdrawal_id' }, { title: '会员', render: (_, w) => `${w.nickname}（${w.member_code}）` },
          { title: '类型', dataIndex: 'asset', render: (a: string) => (a === 'cash' ? '返现' : '佣金') },
          { title: '申请金额', dataIndex: 'amount_fen', render: yuan }, { title: '手续费', dataIndex: 'fee_fen', render: yuan }, { title: '实付', dataIndex: 'net_fen', render: yuan },
          { title: '申请时间', dataIndex: 'requested_at', render: time },
          { title: '状态', render: (_, w) => <Tag color={STATUS_COLORS[w.status]} data-testid={`w-status-${w.withdrawal_id}`}>{w.status_label}</Tag> },
          { title: '微信转账', render: (_, w) => w.transfer
            ? <Space direction='vertical' size={0} data-testid={`w-transfer-${w.withdrawal_id}`}>
                <span>{TRANSFER_STATES[w.transfer.state] ?? w.transfer.state}</span>
                <Tooltip title={w.transfer.transfer_bill_no ? `微信单号 ${w.transfer.transfer_bill_no}` : undefined}><small>{w.transfer.out_bill_no}</small></Tooltip>
                {w.transfer.last_error && <small style={{ color: '#cf1322' }}>{w.transfer.last_error}（第 {w.transfer.attempts} 次，{time(w.transfer.next_attempt_at)} 重试）</small>}
              </Space>
            : (w.payout_ref ?? '—') },
          { title: '驳回/退回原因', render: (_, w) => w.reject_reason ?? '—' },
          { title: '操作', render: (_, w) => w.status === 'pending' && <Space>
            <Button size='small' type='primary' data-testid={`approve-w-${w.withdrawal_id}`} onClick={() => { setRealName(''); setApproving(w) }}>通过并打款</Button>
            <Button size='small' danger data-testid={`reject-w-${w.withdrawal_id}`} onClick={() => reason.ask('驳回提现', `驳回后 ${yuan(w.amount_fen)} 退回会员余额。`,
              (r) => rejectWithdrawal(w.withdrawal_id, r).then(() => { message.success('已驳回，金额已退回'); void list.reload() }, (e) => { fail(e); throw e }))}>驳回</Button>
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      <Modal open={!!approving} title='通过并打款' okText='确认打款' cancelText='取消' confirmLoading={busy}
        okButtonProps={{ disabled: needsName && realName.trim() === '', 'data-testid': 'confirm-transfer' } as never}
        onCancel={() => setApproving(null)} onOk={approve}>
        <p>通过微信商家转账向 {approving?.nickname} 打款 {yuan(approving?.net_fen)}，会员在小程序“提现记录”中确认收款后到账（微信零钱）。</p>
        <p>会员超时未确认收款时，转账自动撤销，金额退回会员余额。</p>
        {needsName && <>
          <p>单笔满 ¥2,000.00，微信要求填写收款人真实姓名（加密发送，到账后即删除）：</p>
          <Input value={realName} onChange={(e) => setRealName(e.target.value)} maxLength={50} data-testid='payee-name' />
        </>}
      </Modal>
      {reason.modal}
    </Card>
  )
}

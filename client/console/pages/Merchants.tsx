import { useEffect, useState } from 'react'
import { App, Button, Card, Input, Segmented, Space, Table, Tabs, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { approveApplication, createInviteCode, listApplications, listInviteCodes, rejectApplication, type MerchantInviteCode } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useReasonPrompt } from '../components/ReasonModal'
import { canEdit } from '../routes'
import { useMe } from '../context'
import { time } from '../format'

function Applications() {
  const me = useMe()
  const editable = canEdit(me.roles, ['operations'])
  const { message } = App.useApp()
  const [status, setStatus] = useState<string>('pending')
  const list = useKeyset((before: number | null) => listApplications(status === 'all' ? null : status, before, 20), (a) => a.application_id, 20, [status])
  const reason = useReasonPrompt()
  const fail = (e: unknown) => { message.error(e instanceof ApiError ? e.message : '操作失败'); throw e }
  return (
    <>
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(String(v))}
        options={[{ label: '待审核', value: 'pending' }, { label: '已通过', value: 'approved' }, { label: '已驳回', value: 'rejected' }, { label: '全部', value: 'all' }]} />
      <Table size='small' rowKey='application_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '申请ID', dataIndex: 'application_id' }, { title: '门店名称', dataIndex: 'store_name' }, { title: '联系人', dataIndex: 'contact_name' },
          { title: '电话', dataIndex: 'contact_phone' }, { title: '地址', dataIndex: 'address' }, { title: '执照号', dataIndex: 'licence_no' },
          { title: '申请人', render: (_, a) => `${a.applicant_nickname}（${a.applicant_member_code}）` },
          { title: '招商人', render: (_, a) => (a.recruiter_member_code ? `${a.recruiter_nickname}（${a.recruiter_member_code}）` : '—') },
          { title: '申请时间', dataIndex: 'created_at', render: time },
          { title: '状态', render: (_, a) => <Tag>{{ pending: '待审核', approved: '已通过', rejected: '已驳回' }[a.status] ?? a.status}</Tag> },
          { title: '操作', render: (_, a) => a.status === 'pending' && editable && <Space>
            <Button size='small' type='primary' data-testid={`approve-${a.application_id}`} onClick={() => approveApplication(a.application_id).then(() => { message.success('已通过，门店和收银台已创建'); void list.reload() }, (e) => message.error(e instanceof ApiError ? e.message : '操作失败'))}>通过</Button>
            <Button size='small' danger onClick={() => reason.ask('驳回入驻申请', `驳回「${a.store_name}」的申请，原因将告知申请人。`,
              (r) => rejectApplication(a.application_id, r).then(() => { message.success('已驳回'); void list.reload() }, fail))}>驳回</Button>
          </Space> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      {reason.modal}
    </>
  )
}

function InviteCodes() {
  const me = useMe()
  const { message } = App.useApp()
  const [rows, setRows] = useState<MerchantInviteCode[]>([])
  const [label, setLabel] = useState('')
  const load = () => listInviteCodes().then(setRows, () => setRows([]))
  useEffect(() => { void load() }, [])
  return (
    <>
      <Space style={{ marginBottom: 12 }}>
        <Input placeholder='招商码用途（如：地推一组）' value={label} onChange={(e) => setLabel(e.target.value)} />
        <Button type='primary' disabled={!canEdit(me.roles, ['operations']) || !label.trim()}
          onClick={() => createInviteCode(label.trim()).then(() => { setLabel(''); void load() }, (e) => message.error(e instanceof ApiError ? e.message : '创建失败'))}>新建招商码</Button>
      </Space>
      <Table size='small' rowKey='code' dataSource={rows} pagination={{ pageSize: 20 }}
        columns={[{ title: '招商码', dataIndex: 'code' }, { title: '用途', dataIndex: 'label' }, { title: '场景值', dataIndex: 'scene' },
          { title: '状态', dataIndex: 'active', render: (a: boolean) => (a ? <Tag color='green'>有效</Tag> : <Tag>停用</Tag>) },
          { title: '申请数', dataIndex: 'application_count' }, { title: '创建时间', dataIndex: 'created_at', render: time }]} />
    </>
  )
}

/** 商家入驻: applications to approve or reject with a reason; merchant invite codes. */
export default function Merchants() {
  return (
    <Card title='商家入驻' data-testid='page-merchants'>
      <Tabs items={[{ key: 'apps', label: '入驻申请', children: <Applications /> }, { key: 'codes', label: '招商码', children: <InviteCodes /> }]} />
    </Card>
  )
}

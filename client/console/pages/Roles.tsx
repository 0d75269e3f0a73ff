import { useEffect, useState } from 'react'
import { App, Button, Card, Form, Input, InputNumber, Popconfirm, Select, Space, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import { grantRole, listRoles, revokeRole, ROLE_LABELS, type RoleRow, type StaffRole } from '../../services/console'
import { time } from '../format'

/** 角色 (超级管理员 only): who holds which console role; grant and remove. */
export default function Roles() {
  const { message } = App.useApp()
  const [rows, setRows] = useState<RoleRow[]>([])
  const [form] = Form.useForm()
  const role = Form.useWatch('role', form) as StaffRole | undefined
  const load = () => listRoles().then(setRows, (e) => message.error(e instanceof ApiError ? e.message : '加载失败'))
  useEffect(() => { void load() }, [])
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  return (
    <Card title='角色' data-testid='page-roles'>
      <Form form={form} layout='inline' style={{ marginBottom: 16 }} initialValues={{ role: 'operations' }}
        onFinish={(v) => grantRole(v.member_code.trim(), v.role, v.role === 'store_owner' ? v.store_id : null, v.reason?.trim() || null)
          .then(() => { message.success('已授予'); form.resetFields(); void load() }, fail)}>
        <Form.Item name='member_code' rules={[{ required: true, message: '请填写会员编号' }]}><Input placeholder='会员编号' /></Form.Item>
        <Form.Item name='role'><Select style={{ width: 140 }} options={Object.entries(ROLE_LABELS).map(([value, label]) => ({ value, label }))} /></Form.Item>
        {role === 'store_owner' && <Form.Item name='store_id' rules={[{ required: true, message: '请填写门店ID' }]}><InputNumber placeholder='门店ID' precision={0} /></Form.Item>}
        <Form.Item name='reason'><Input placeholder='原因（可选）' /></Form.Item>
        <Form.Item><Button type='primary' htmlType='submit'>授予角色</Button></Form.Item>
      </Form>
      <Table size='small' rowKey='role_id' dataSource={rows} pagination={{ pageSize: 50 }}
        columns={[
          { title: '会员', render: (_, r) => `${r.nickname}（${r.member_code}）` },
          { title: '角色', dataIndex: 'role', render: (r: StaffRole) => <Tag color={r === 'admin' ? 'red' : 'blue'}>{ROLE_LABELS[r]}</Tag> },
          { title: '门店', dataIndex: 'store_name', render: (s: string | null) => s ?? '—' },
          { title: '授予时间', dataIndex: 'granted_at', render: time },
          { title: '', render: (_, r) => <Popconfirm title='移除该角色？' okText='移除' cancelText='取消' onConfirm={() => revokeRole(r.role_id, null).then(load, fail)}>
            <Button size='small' danger>移除</Button></Popconfirm> },
        ]} />
      <Space />
    </Card>
  )
}

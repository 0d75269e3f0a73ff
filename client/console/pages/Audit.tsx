import { useState } from 'react'
import { Card, DatePicker, Input, Select, Space, Table, Tag } from 'antd'
import { listAudit, ROLE_LABELS, type AuditFilter } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { JsonBlock } from '../components/JsonBlock'
import { time } from '../format'

const OBJECTS = [['settings', '设置'], ['product', '商品'], ['store', '门店'], ['cashier', '收银台'], ['merchant_application', '入驻申请'],
  ['merchant_invite_code', '招商码'], ['withdrawal', '提现'], ['entry', '排队名额'], ['wallet', '余额'], ['member', '会员'],
  ['member_level', '会员等级'], ['team_level', '团队等级'], ['order', '订单']]
export const ACTION_LABELS: Record<string, string> = {
  'settings.update': '修改设置', 'products.enable_all': '一键启用', 'product.set_rebate': '商品返利开关', 'product.create': '新建商品',
  'product.update': '修改商品', 'rule_settings.update': '修改独立设置', 'store.update': '修改门店', 'cashier.update': '修改收银台',
  'merchant_application.approve': '通过入驻', 'merchant_application.reject': '驳回入驻', 'merchant_invite_code.create': '新建招商码',
  'merchant_invite_code.set_active': '招商码启停', 'withdrawal.approve': '通过提现', 'withdrawal.reject': '驳回提现',
  'entry.force_exit': '强制出队', 'wallet.adjust': '余额调整', 'role.grant': '授予角色', 'role.revoke': '移除角色',
  'member.set_level': '设置会员等级', 'member.set_team_level': '设置团队等级', 'member_level.save': '保存会员等级',
  'member_level.delete': '删除会员等级', 'team_level.save': '保存团队等级', 'settlement.retry': '重新结算',
}

/** 操作日志: every console change, filtered by person, object and date. */
export default function Audit() {
  const [f, setF] = useState<AuditFilter>({})
  const list = useKeyset((before: number | null) => listAudit(f, before, 20), (a) => a.id, 20, [JSON.stringify(f)])
  return (
    <Card title='操作日志' data-testid='page-audit'>
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search placeholder='操作人会员编号' allowClear onSearch={(v) => setF({ ...f, memberCode: v.trim() || null })} />
        <Select allowClear placeholder='对象类型' style={{ width: 140 }} onChange={(v) => setF({ ...f, objectType: v ?? null })}
          options={OBJECTS.map(([value, label]) => ({ value, label }))} />
        <Input.Search placeholder='对象ID' allowClear onSearch={(v) => setF({ ...f, objectId: v.trim() || null })} />
        <DatePicker.RangePicker onChange={(_, s) => setF({ ...f, from: s[0] || null, to: s[1] || null })} />
      </Space>
      <Table size='small' rowKey='id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '时间', dataIndex: 'created_at', render: time },
          { title: '操作人', render: (_, a) => (a.member_code ? `${a.nickname}（${a.member_code}）` : '系统') },
          { title: '角色', dataIndex: 'roles', render: (rs: string[]) => rs.map((r) => <Tag key={r}>{ROLE_LABELS[r as 'admin'] ?? r}</Tag>) },
          { title: '操作', dataIndex: 'action', render: (a: string) => ACTION_LABELS[a] ?? a },
          { title: '对象', render: (_, a) => `${OBJECTS.find((o) => o[0] === a.object_type)?.[1] ?? a.object_type} ${a.object_id ?? ''}` },
          { title: '修改前', dataIndex: 'before', render: (v) => <JsonBlock value={v} /> },
          { title: '修改后', dataIndex: 'after', render: (v) => <JsonBlock value={v} /> },
          { title: '原因', dataIndex: 'reason' },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
    </Card>
  )
}

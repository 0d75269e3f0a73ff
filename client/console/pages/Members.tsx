import { useState } from 'react'
import { Button, Card, Descriptions, Drawer, Input, Space, Spin, Table, Tag } from 'antd'
import { fetchMemberDetail, listMembers, ROLE_LABELS, type MemberDetail } from '../../services/console'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { useAdjustBalance } from '../components/AdjustBalance'
import { canEdit } from '../routes'
import { useMe } from '../context'
import { time, yuan } from '../format'

type Row = Record<string, any>

/** 会员: search by member code, nickname or phone; a member's entries, orders, ledger, referral chain and roles. */
export default function Members() {
  const me = useMe()
  const [q, setQ] = useState<string | null>(null)
  const list = useKeyset((after: string | null) => listMembers(q, after, 20), (m) => m.member_code, 20, [q])
  const [detail, setDetail] = useState<MemberDetail | null>(null)
  const [loading, setLoading] = useState(false)
  const open = async (id: string) => { setLoading(true); setDetail(await fetchMemberDetail(id).finally(() => setLoading(false))) }
  const adjust = useAdjustBalance(() => detail && void open(detail.member_id))
  const d = detail as Row | null
  return (
    <Card title='会员' data-testid='page-members' extra={<Input.Search allowClear placeholder='会员编号 / 昵称 / 手机号' onSearch={(v) => setQ(v.trim() || null)} />}>
      <Table size='small' rowKey='member_id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '会员编号', dataIndex: 'member_code' }, { title: '昵称', dataIndex: 'nickname' }, { title: '等级', dataIndex: 'level_name' },
          { title: '返现', dataIndex: 'cash_fen', render: yuan }, { title: '佣金', dataIndex: 'commission_fen', render: yuan }, { title: '积分', dataIndex: 'points' },
          { title: '角色', dataIndex: 'roles', render: (rs: string[]) => rs.map((r) => <Tag key={r}>{ROLE_LABELS[r as 'admin'] ?? r}</Tag>) },
          { title: '注册时间', dataIndex: 'created_at', render: time },
          { title: '', render: (_, m) => <Button size='small' onClick={() => void open(m.member_id)}>详情</Button> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      <Drawer width={1000} open={!!detail || loading} onClose={() => setDetail(null)} title={d ? `${d.nickname}（${d.member_code}）` : ''}
        extra={d && canEdit(me.roles, ['finance']) && <Button onClick={() => adjust.open(d.member_id, `${d.nickname}（${d.member_code}）`)}>余额调整</Button>}>
        {!d ? <Spin /> : (
          <Space direction='vertical' style={{ width: '100%' }}>
            <Descriptions bordered size='small' column={3}>
              <Descriptions.Item label='等级'>{d.level_name}</Descriptions.Item>
              <Descriptions.Item label='返现'>{yuan(d.wallet?.cash_fen)}</Descriptions.Item>
              <Descriptions.Item label='佣金'>{yuan(d.wallet?.commission_fen)}</Descriptions.Item>
              <Descriptions.Item label='积分'>{d.wallet?.points}</Descriptions.Item>
              <Descriptions.Item label='爱心值'>{yuan(d.wallet?.love_fen)}</Descriptions.Item>
              <Descriptions.Item label='角色'>{(d.roles as Row[]).map((r) => ROLE_LABELS[r.role as 'admin']).join('、') || '—'}</Descriptions.Item>
              <Descriptions.Item label='推荐人（上两级）'>{(d.referrers as Row[]).map((r) => `${r.depth}级：${r.nickname}（${r.member_code}）`).join('；') || '—'}</Descriptions.Item>
              <Descriptions.Item label='团队'>直推 {d.team.direct} 人，间推 {d.team.indirect} 人</Descriptions.Item>
            </Descriptions>
            <Table size='small' rowKey='entry_id' title={() => '排队名额（最近20条）'} pagination={false} dataSource={d.entries as Row[]}
              columns={[{ title: '名额', dataIndex: 'entry_id' }, { title: '队列', dataIndex: 'queue_id' }, { title: '位置', dataIndex: 'seq' },
                { title: '总权益', dataIndex: 'entitlement_fen', render: yuan }, { title: '已返', dataIndex: 'received_fen', render: yuan }, { title: '状态', dataIndex: 'status_label' }]} />
            <Table size='small' rowKey='order_no' title={() => '订单（最近20条）'} pagination={false} dataSource={d.orders as Row[]}
              columns={[{ title: '订单号', dataIndex: 'order_no' }, { title: '实付', dataIndex: 'pay_fen', render: yuan }, { title: '状态', dataIndex: 'status_label' }, { title: '时间', dataIndex: 'created_at', render: time }]} />
            <Table size='small' rowKey='id' title={() => '流水（最近20条）'} pagination={false} dataSource={d.ledger as Row[]}
              columns={[{ title: '类型', dataIndex: 'asset' }, { title: '变动', dataIndex: 'delta' }, { title: '余额', dataIndex: 'balance_after' }, { title: '原因', dataIndex: 'reason_label' }, { title: '时间', dataIndex: 'created_at', render: time }]} />
          </Space>
        )}
      </Drawer>
      {adjust.modal}
    </Card>
  )
}

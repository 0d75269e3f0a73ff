import { useCallback, useEffect, useState } from 'react'
import { App, Button, Card, Input, Modal, Segmented, Space, Statistic, Table, Tag } from 'antd'
import { ApiError } from '../../services/errors'
import {
  listPushes, pushStats, retryPush, setSubscribeTemplate, type PushStats, type PushStatus, type PushTemplateStats,
} from '../../services/console-messages'
import { useKeyset } from '../components/useKeyset'
import { Pager } from '../components/Pager'
import { time } from '../format'

const STATUS_LABEL: Record<PushStatus, string> = { pending: '待发送', sending: '发送中', sent: '已发送', skipped: '未订阅', dead: '发送失败' }
const MOMENT_LABEL: Record<string, string> = { paid: '支付后', queue: '队列页', withdrawal: '申请提现' }

/** 消息推送: WeChat subscribe messages — counts, dead letters with 重试 (audited), templates. */
export default function Messages() {
  const { message } = App.useApp()
  const [stats, setStats] = useState<PushStats | null>(null)
  const [status, setStatus] = useState<PushStatus>('dead')
  const [editing, setEditing] = useState<PushTemplateStats | null>(null)
  const [templateId, setTemplateId] = useState('')
  const [fields, setFields] = useState('')
  const list = useKeyset((before: number | null) => listPushes(status, before, 20), (p) => p.id, 20, [status])
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  const loadStats = useCallback(() => pushStats().then(setStats, fail), []) // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => { void loadStats() }, [loadStats])

  const retry = (id: number) => retryPush(id).then(() => {
    message.success('已重新排入发送')
    void list.reload()
    void loadStats()
  }, fail)

  const save = () => {
    let parsed: Record<string, string> | undefined
    try {
      parsed = fields.trim() ? JSON.parse(fields) as Record<string, string> : undefined
    } catch {
      message.error('字段配置应为 JSON')
      return Promise.reject(new Error('invalid json'))
    }
    return setSubscribeTemplate(editing!.key, templateId.trim() || null, parsed).then(() => {
      message.success('已保存')
      setEditing(null)
      void loadStats()
    }, (e) => { fail(e); throw e })
  }

  return (
    <Card title='消息推送' data-testid='page-messages'>
      <Space size='large' wrap style={{ marginBottom: 16 }} data-testid='push-stats'>
        {(['pending', 'sent', 'skipped', 'dead'] as PushStatus[]).map((s) => (
          <Statistic key={s} title={STATUS_LABEL[s]} value={stats?.by_status[s] ?? 0} data-testid={`push-count-${s}`} />
        ))}
        <Statistic title='近 24 小时发送' value={stats?.sent_24h ?? 0} />
        <Statistic title='近 24 小时失败' value={stats?.dead_24h ?? 0} />
      </Space>
      <Table size='small' rowKey='key' pagination={false} dataSource={stats?.templates ?? []} style={{ marginBottom: 16 }}
        columns={[
          { title: '模板', dataIndex: 'title' },
          { title: '模板 ID', dataIndex: 'template_id', render: (v: string | null) => v ?? <Tag>未配置</Tag> },
          { title: '请求时机', dataIndex: 'moments', render: (m: string[]) => m.map((x) => MOMENT_LABEL[x] ?? x).join('、') },
          { title: '已订阅会员', dataIndex: 'subscribers' }, { title: '剩余可发', dataIndex: 'remaining' }, { title: '已发送', dataIndex: 'sent' },
          { title: '操作', render: (_, t) => <Button size='small' data-testid={`edit-template-${t.key}`}
            onClick={() => { setEditing(t); setTemplateId(t.template_id ?? ''); setFields(JSON.stringify(t.fields)) }}>配置</Button> },
        ]} />
      <Segmented style={{ marginBottom: 12 }} value={status} onChange={(v) => setStatus(v as PushStatus)}
        options={(['dead', 'pending', 'sent', 'skipped'] as PushStatus[]).map((s) => ({ label: STATUS_LABEL[s], value: s }))} />
      <Table size='small' rowKey='id' loading={list.loading} dataSource={list.rows} pagination={false}
        columns={[
          { title: '编号', dataIndex: 'id' }, { title: '会员', render: (_, p) => `${p.nickname_masked}（${p.member_code}）` },
          { title: '消息', dataIndex: 'title' }, { title: '尝试次数', dataIndex: 'attempts' },
          { title: '错误', render: (_, p) => (p.last_errcode !== null ? `${p.last_errcode} ` : '') + (p.last_error ?? '') },
          { title: '更新时间', dataIndex: 'updated_at', render: time },
          { title: '操作', render: (_, p) => p.status === 'dead' &&
            <Button size='small' type='primary' data-testid={`retry-push-${p.id}`} onClick={() => void retry(p.id)}>重试</Button> },
        ]} />
      <Pager page={list.page} hasNext={list.hasNext} prev={list.prev} next={list.next} error={list.error} />
      <Modal open={!!editing} title={`配置「${editing?.title ?? ''}」`} okText='保存' cancelText='取消' okButtonProps={{ 'data-testid': 'template-save' } as never} onCancel={() => setEditing(null)} onOk={save}>
        <p>微信公众平台「订阅消息」中选用的模板 ID（留空则不再请求、不再发送）：</p>
        <Input value={templateId} onChange={(e) => setTemplateId(e.target.value)} data-testid='template-id' />
        <p style={{ marginTop: 12 }}>字段对应（模板关键词 → title / body / amount / time / kind_label / order_no）：</p>
        <Input.TextArea rows={3} value={fields} onChange={(e) => setFields(e.target.value)} data-testid='template-fields' />
      </Modal>
    </Card>
  )
}

import { useEffect, useMemo, useState } from 'react'
import { Alert, App, Button, Card, Col, Input, InputNumber, Popconfirm, Row, Select, Space, Spin, Switch, Table, Typography } from 'antd'
import { ApiError } from '../../services/errors'
import { enableAllProducts, fetchMemberLevels, fetchSettings, updateSettings, type MemberLevel, type SettingsRecord } from '../../services/console'
import { TeamLevels } from '../components/TeamLevels'
import { MemberLevels } from '../components/MemberLevels'
import { WhatIf } from '../components/WhatIf'
import { canEdit } from '../routes'
import { useMe } from '../context'
import { time } from '../format'

type Kind = 'bool' | 'bps' | 'fen' | 'int' | 'text' | 'time' | 'datetime' | { choice: Array<[string, string]> }
type Field = [name: string, label: string, kind: Kind, help?: string]

// Every SPEC §5 field, grouped like the seed's back office; labels as the database names them.
const GROUPS: Array<[string, Field[]]> = [
  ['运营模式（工会排队）', [
    ['programme_mode', '运营模式', { choice: [['classic', '排队返利（经典）'], ['union', '工会排队']] }, '还有排队中的名额时不能切换'],
    ['union_quota_bps', '分红额度比例', 'bps', '名额额度 = 实付金额 × 比例'],
    ['union_pool_bps', '净利润入池比例', 'bps'],
    ['union_accel_bps', '推广加速比例', 'bps', '按好友实付金额计，不超过该单入池金额'],
    ['union_payout_time', '每日分红时间（北京时间）', 'time'],
  ]],
  ['基础设置', [
    ['enabled', '开启排队返利', 'bool'], ['new_product_rebate', '商品排队返利（新商品默认开启）', 'bool'],
    ['deduction_participates', '抵扣订单参与（积分/爱心值抵扣的订单）', 'bool'],
    ['settle_event', '结算事件', { choice: [['paid', '支付后'], ['completed', '完成后']] }],
    ['reward_rule', '待奖励队列奖励规则', { choice: [['queue_order', '按排队顺序'], ['completed_queue_order', '订单完成 + 排队顺序']] }],
    ['display_name', '自定义名称', 'text'], ['exchange_name', '兑换自定义名称', 'text'],
    ['extraction_bps', '提取比例', 'bps'], ['default_reward_bps', '默认奖励权益比例', 'bps'],
    ['paused', '队列奖励暂停', 'bool', '暂停期间提取计入平台留存，之后不补发'],
  ]],
  ['队列', [['merchant_queue', '开启商家队列', 'bool'], ['all_stores_queue', '所有门店队列', 'bool'], ['all_cashiers_queue', '所有收银台队列', 'bool']]],
  ['抽奖', [
    ['lottery_mode', '抽奖方式', { choice: [['off', '关闭'], ['fixed', '固定比例'], ['interval', '随机区间']] }],
    ['lottery_min_bps', '区间下限', 'bps'], ['lottery_max_bps', '区间上限', 'bps'],
  ]],
  ['兑换', [['points_exchange_bps', '积分兑换比例', 'bps'], ['love_exchange_bps', '爱心值兑换比例', 'bps'], ['love_exchange_frozen', '兑换的爱心值冻结', 'bool']]],
  ['随机返', [['random_return_enabled', '开启随机返', 'bool'], ['random_cash_count', '每组返现金人数', 'int'], ['random_points_count', '每组返积分人数', 'int']]],
  ['清零', [
    ['clearing_enabled', '开启队列奖励清零', 'bool'],
    ['clearing_schedule', '清零周期', { choice: [['daily', '每天'], ['weekly', '每周'], ['monthly', '每月'], ['once', '指定时间']] }],
    ['clearing_time', '清零时间（北京时间）', 'time'], ['clearing_weekday', '每周清零日（1=周一）', 'int'],
    ['clearing_monthday', '每月清零日', 'int'], ['clearing_at', '指定清零时间', 'datetime'],
  ]],
  ['前端显示', [
    ['show_process', '队列进程', 'bool'], ['show_received', '累计奖励', 'bool'], ['show_waiting', '待奖励', 'bool'],
    ['show_member_info', '会员信息', 'bool'], ['show_waiting_amount', '待奖励金额', 'bool'],
  ]],
  ['分销奖励', [
    ['referral_direct_bps', '直推奖励比例', 'bps'], ['referral_indirect_bps', '间推奖励比例', 'bps'],
    ['level_diff_cap_bps', '级差奖励每单上限', 'bps'], ['level_diff_max_depth', '级差奖励最多层数', 'int'],
    ['dividend_bps', '股东分红比例', 'bps'], ['dividend_period', '股东分红周期', { choice: [['daily', '每天'], ['weekly', '每周'], ['monthly', '每月']] }],
    ['merchant_recruit_bps', '招商奖励比例', 'bps'], ['payout_cap_bps', '提取与奖励合计上限', 'bps'],
  ]],
  ['提现', [['withdraw_min_fen', '最低提现金额', 'fen'], ['withdraw_fee_bps', '提现手续费比例', 'bps'], ['withdraw_daily_limit', '每日提现次数', 'int']]],
]

function Control({ f, value, set, disabled }: { f: Field; value: unknown; set: (v: unknown) => void; disabled: boolean }) {
  const [name, , kind] = f
  const common = { disabled, 'data-testid': `setting-${name}` }
  if (kind === 'bool') return <Switch checked={!!value} onChange={set} {...common} />
  if (kind === 'bps') return <InputNumber {...common} addonAfter='%' step={0.01} precision={2} style={{ width: 160 }}
    value={value === null ? null : Number(value) / 100} onChange={(v) => set(v === null ? null : Math.round(Number(v) * 100))} />
  if (kind === 'fen') return <InputNumber {...common} addonBefore='¥' step={0.01} precision={2} style={{ width: 160 }}
    value={Number(value) / 100} onChange={(v) => set(v === null ? null : Math.round(Number(v) * 100))} />
  if (kind === 'int') return <InputNumber {...common} precision={0} value={Number(value)} onChange={set} />
  if (kind === 'text') return <Input {...common} style={{ width: 200 }} value={String(value ?? '')} onChange={(e) => set(e.target.value)} />
  if (kind === 'time') return <Input {...common} style={{ width: 120 }} value={String(value ?? '').slice(0, 5)} placeholder='HH:MM' onChange={(e) => set(e.target.value)} />
  if (kind === 'datetime') return <Input {...common} style={{ width: 260 }} value={value ? String(value) : ''} placeholder='2026-12-31T00:00:00+08:00'
    onChange={(e) => set(e.target.value === '' ? null : e.target.value)} />
  return <Select {...common} style={{ width: 220 }} value={value} onChange={set} options={kind.choice.map(([v, l]) => ({ value: v, label: l }))} />
}

/** The lottery's fixed ratios with their weights, and the probability each gets. */
function LotteryOptions({ value, set, disabled }: { value: Array<{ bps: number; weight: number }>; set: (v: unknown) => void; disabled: boolean }) {
  const total = value.reduce((s, o) => s + o.weight, 0)
  const update = (i: number, o: { bps: number; weight: number }) => set(value.map((x, j) => (j === i ? o : x)))
  return (
    <Table size='small' pagination={false} rowKey={(_, i) => String(i)} dataSource={value}
      footer={() => <Button disabled={disabled} onClick={() => set([...value, { bps: 1000, weight: 1 }])}>添加比例</Button>}
      columns={[
        { title: '奖励比例', render: (_, o, i) => <InputNumber disabled={disabled} addonAfter='%' value={o.bps / 100} onChange={(v) => update(i, { ...o, bps: Math.round(Number(v) * 100) })} /> },
        { title: '权重', render: (_, o, i) => <InputNumber disabled={disabled} precision={0} min={1} value={o.weight} onChange={(v) => update(i, { ...o, weight: Number(v) })} /> },
        { title: '中奖概率', render: (_, o) => (total > 0 ? `${((o.weight / total) * 100).toFixed(2)}%` : '—') },
        { title: '', render: (_, _o, i) => <Button disabled={disabled} size='small' onClick={() => set(value.filter((_x, j) => j !== i))}>删除</Button> },
      ]} />
  )
}

/** 排队返利设置 */
export default function Settings() {
  const me = useMe()
  const editable = canEdit(me.roles, ['operations'])
  const { message } = App.useApp()
  const [saved, setSaved] = useState<SettingsRecord | null>(null)
  const [values, setValues] = useState<SettingsRecord>({})
  const [levels, setLevels] = useState<MemberLevel[]>([])
  const [reason, setReason] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    fetchSettings().then((s) => { setSaved(s); setValues(s) }, (e) => setError(e instanceof ApiError ? e.message : '加载失败'))
    fetchMemberLevels().then(setLevels, () => setLevels([]))
  }, [])
  const changed = useMemo(() => {
    if (!saved) return {}
    const d: SettingsRecord = {}
    for (const k of Object.keys(values)) if (JSON.stringify(values[k]) !== JSON.stringify(saved[k])) d[k] = values[k]
    return d
  }, [values, saved])
  if (!saved) return error ? <Alert type='error' showIcon message={error} /> : <Spin />
  const set = (k: string) => (v: unknown) => setValues((x) => ({ ...x, [k]: v }))

  async function save() {
    setBusy(true)
    setError(null)
    try {
      const s = await updateSettings(changed, reason.trim() || undefined)
      setSaved(s)
      setValues(s)
      setReason('')
      message.success('设置已保存')
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '保存失败')
    } finally {
      setBusy(false)
    }
  }
  const levelBps = (values.level_reward_bps ?? {}) as Record<string, number>

  return (
    <div data-testid='page-settings'>
      <Card style={{ marginBottom: 16 }}>
        <Space wrap>
          <Typography.Text>已修改 {Object.keys(changed).length} 项</Typography.Text>
          <Input style={{ width: 260 }} placeholder='修改原因（记入操作日志，可选）' value={reason} onChange={(e) => setReason(e.target.value)} disabled={!editable} />
          <Button type='primary' loading={busy} disabled={!editable || Object.keys(changed).length === 0} onClick={() => void save()} data-testid='settings-save'>保存设置</Button>
          <Button disabled={Object.keys(changed).length === 0} onClick={() => setValues(saved)}>撤销修改</Button>
          <Popconfirm title='为所有商城、供应商、供应链商品开启排队返利？' okText='一键启用' cancelText='取消'
            onConfirm={() => enableAllProducts().then((n) => message.success(`已为 ${n} 个商品开启排队返利`), (e) => message.error(e.message))}>
            <Button disabled={!editable}>一键启用</Button>
          </Popconfirm>
          <Typography.Text type='secondary'>上次修改：{time(saved.updated_at as string)}</Typography.Text>
        </Space>
        {error && <Alert style={{ marginTop: 12 }} type='error' showIcon message={error} data-testid='settings-error' />}
        {!editable && <Alert style={{ marginTop: 12 }} type='info' showIcon message='您的角色只能查看设置' />}
        {('extraction_bps' in changed || 'default_reward_bps' in changed) && (
          <WhatIf saved={{ extraction: Number(saved.extraction_bps), reward: Number(saved.default_reward_bps) }}
            proposed={{ extraction: Number(values.extraction_bps), reward: Number(values.default_reward_bps) }} />
        )}
      </Card>
      <Row gutter={[16, 16]}>
        {GROUPS.map(([title, fields]) => (
          <Col span={12} key={title}>
            <Card title={title} size='small'>
              {fields.map((f) => (
                <Row key={f[0]} style={{ marginBottom: 10 }} align='middle'>
                  <Col span={10}>{f[1]}</Col>
                  <Col span={14}><Control f={f} value={values[f[0]]} set={set(f[0])} disabled={!editable} />
                    {f[3] && <div><Typography.Text type='secondary'>{f[3]}</Typography.Text></div>}</Col>
                </Row>
              ))}
              {title === '基础设置' && (
                <MemberLevels levels={levels} editable={editable} onChanged={() => fetchMemberLevels().then(setLevels, () => setLevels([]))} />
              )}
              {title === '基础设置' && (
                <Table size='small' pagination={false} rowKey='id' dataSource={levels} title={() => '会员等级奖励权益比例（留空：不单独设置）'}
                  columns={[
                    { title: '会员等级', dataIndex: 'name' },
                    { title: '奖励比例', render: (_, l) => <InputNumber disabled={!editable} addonAfter='%' value={levelBps[l.id] !== undefined ? levelBps[l.id] / 100 : null}
                      onChange={(v) => {
                        const next = { ...levelBps }
                        if (v === null) delete next[l.id]; else next[l.id] = Math.round(Number(v) * 100)
                        set('level_reward_bps')(next)
                      }} /> },
                  ]} />
              )}
              {title === '分销奖励' && <TeamLevels editable={editable} />}
              {title === '抽奖' && <LotteryOptions value={(values.lottery_options ?? []) as Array<{ bps: number; weight: number }>} set={set('lottery_options')} disabled={!editable} />}
            </Card>
          </Col>
        ))}
      </Row>
    </div>
  )
}

import { useEffect, useState } from 'react'
import { Alert, App, Button, Card, Select, Space, Switch, Table, Tag } from 'antd'
import QRCode from 'qrcode'
import { ApiError } from '../../services/errors'
import { listMyStores, listStores, updateCashier, updateStore, type ConsoleStore, type RuleTarget } from '../../services/console'
import { RuleSettingsModal } from '../components/RuleSettings'
import { canEdit } from '../routes'
import { useMe } from '../context'
import { pct } from '../format'

const STATUS: Record<string, [string, string]> = { pending: ['待审核', 'orange'], approved: ['营业中', 'green'], suspended: ['已停用', 'default'] }

/** The cashier's code as a PNG: the same scene (c=<cashier code>) the mini-program scans at the till. */
async function downloadCashierQr(s: ConsoleStore) {
  if (!s.cashier) return
  const url = await QRCode.toDataURL(s.cashier.scene, { width: 600, margin: 2 })
  const a = document.createElement('a')
  a.href = url
  a.download = `收银台-${s.name}-${s.cashier.cashier_code}.png`
  document.body.appendChild(a)
  a.click()
  a.remove()
}

/** 门店/收银台: stores' status and settings; each cashier's QR code to download and print. */
export default function Stores() {
  const me = useMe()
  const ownerOnly = me.roles.length === 1 && me.roles[0] === 'store_owner'
  const editable = canEdit(me.roles, ['operations'])
  const { message } = App.useApp()
  const [status, setStatus] = useState<string | null>(null)
  const [rows, setRows] = useState<ConsoleStore[]>([])
  const [error, setError] = useState<string | null>(null)
  const [rules, setRules] = useState<{ target: RuleTarget; id: number; name: string } | null>(null)
  const load = () => (ownerOnly ? listMyStores() : listStores(status)).then(setRows, (e) => setError(e instanceof ApiError ? e.message : '加载失败'))
  useEffect(() => { void load() }, [status])
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  return (
    <Card title='门店/收银台' data-testid='page-stores' extra={!ownerOnly && <Select allowClear placeholder='全部状态' style={{ width: 140 }} value={status}
      onChange={(v) => setStatus(v ?? null)} options={Object.entries(STATUS).map(([value, [label]]) => ({ value, label }))} />}>
      {error && <Alert type='error' showIcon message={error} />}
      <Table size='small' rowKey='store_id' dataSource={rows} pagination={{ pageSize: 20 }}
        columns={[
          { title: 'ID', dataIndex: 'store_id' }, { title: '门店', dataIndex: 'name' }, { title: '编码', dataIndex: 'store_code' },
          { title: '状态', dataIndex: 'status', render: (s: string) => <Tag color={STATUS[s]?.[1]}>{STATUS[s]?.[0] ?? s}</Tag> },
          { title: '门店排队返利', render: (_, s) => <Switch size='small' disabled={!editable} checked={s.rebate_enabled}
            onChange={(on) => updateStore(s.store_id, { rebate_enabled: on }).then(load, fail)} /> },
          { title: '提取/奖励', render: (_, s) => `${s.extraction_bps === null ? '默认' : pct(s.extraction_bps)} / ${s.reward_bps === null ? '默认' : pct(s.reward_bps)}` },
          { title: '收银台', render: (_, s) => (s.cashier ? <Space>
            <span>{s.cashier.cashier_code}</span>
            <Switch size='small' disabled={!editable} checked={s.cashier.rebate_enabled} checkedChildren='返利' unCheckedChildren='关闭'
              onChange={(on) => updateCashier(s.cashier!.cashier_id, { rebate_enabled: on }).then(load, fail)} />
            <Button size='small' onClick={() => void downloadCashierQr(s)} data-testid={`cashier-qr-${s.store_id}`}>下载收银台二维码</Button>
          </Space> : '—') },
          { title: '操作', render: (_, s) => (!editable ? null : <Space>
            <Button size='small' onClick={() => setRules({ target: 'store', id: s.store_id, name: s.name })}>门店独立设置</Button>
            {s.cashier && <Button size='small' onClick={() => setRules({ target: 'cashier', id: s.cashier!.cashier_id, name: `${s.name} 收银台` })}>收银台独立设置</Button>}
            {s.status === 'suspended'
              ? <Button size='small' onClick={() => updateStore(s.store_id, { status: 'approved' }).then(load, fail)}>恢复营业</Button>
              : <Button size='small' danger onClick={() => updateStore(s.store_id, { status: 'suspended' }).then(load, fail)}>停用</Button>}
          </Space>) },
        ]} />
      {rules && <RuleSettingsModal {...rules} onClose={(changed) => { setRules(null); if (changed) void load() }} />}
    </Card>
  )
}

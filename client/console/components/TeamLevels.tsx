import { useEffect, useState } from 'react'
import { App, Button, InputNumber, Input, Switch, Table } from 'antd'
import { ApiError } from '../../services/errors'
import { listTeamLevels, saveTeamLevel, type TeamLevel } from '../../services/console'

type Row = Omit<TeamLevel, 'member_count'> & { member_count?: number; dirty?: boolean }

/** 团队等级: 级差 rate per level, 股东分红 weight, 招商 permission; each row saved on its own (audited). */
export function TeamLevels({ editable }: { editable: boolean }) {
  const { message } = App.useApp()
  const [rows, setRows] = useState<Row[]>([])
  const load = () => listTeamLevels().then(setRows, () => setRows([]))
  useEffect(() => { void load() }, [])
  const change = (i: number, patch: Partial<Row>) => setRows((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch, dirty: true } : r)))
  const nextId = rows.reduce((m, r) => Math.max(m, r.id), 0) + 1
  return (
    <Table size='small' pagination={false} rowKey='id' dataSource={rows} title={() => '团队等级（级差奖励、股东分红权重）'}
      footer={() => <Button disabled={!editable} onClick={() => setRows((rs) => [...rs, { id: nextId, name: '', rank: nextId, diff_bps: 0, dividend_weight: 0, can_recruit_merchants: false, dirty: true }])}>添加团队等级</Button>}
      columns={[
        { title: '名称', render: (_, r, i) => <Input disabled={!editable} value={r.name} maxLength={20} onChange={(e) => change(i, { name: e.target.value })} /> },
        { title: '级别', render: (_, r, i) => <InputNumber disabled={!editable} precision={0} min={0} value={r.rank} onChange={(x) => change(i, { rank: Number(x) })} /> },
        { title: '级差比例', render: (_, r, i) => <InputNumber disabled={!editable} addonAfter='%' precision={2} value={r.diff_bps / 100} onChange={(x) => change(i, { diff_bps: Math.round(Number(x) * 100) })} /> },
        { title: '分红权重', render: (_, r, i) => <InputNumber disabled={!editable} precision={0} min={0} value={r.dividend_weight} onChange={(x) => change(i, { dividend_weight: Number(x) })} /> },
        { title: '可招商', render: (_, r, i) => <Switch disabled={!editable} checked={r.can_recruit_merchants} onChange={(x) => change(i, { can_recruit_merchants: x })} /> },
        { title: '人数', dataIndex: 'member_count' },
        { title: '', render: (_, r) => r.dirty && <Button size='small' type='primary' onClick={() => saveTeamLevel({
          id: r.id, name: r.name.trim(), rank: r.rank, diff_bps: r.diff_bps, dividend_weight: r.dividend_weight, can_recruit_merchants: r.can_recruit_merchants,
        }).then(() => { message.success('团队等级已保存'); void load() }, (e) => message.error(e instanceof ApiError ? e.message : '保存失败'))}>保存</Button> },
      ]} />
  )
}

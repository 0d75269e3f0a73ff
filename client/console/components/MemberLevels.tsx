import { useState } from 'react'
import { App, Button, Input, InputNumber, Popconfirm, Table } from 'antd'
import { ApiError } from '../../services/errors'
import { deleteMemberLevel, saveMemberLevel, type MemberLevel } from '../../services/console'

type Row = MemberLevel & { dirty?: boolean; isNew?: boolean }

/**
 * 会员等级 (SPEC §4): names and ranks of the member levels whose ratios the table below sets.
 * Level 0 (普通会员) is the base level and cannot be deleted; a level someone holds cannot
 * be deleted either (the database refuses with its reason).
 */
export function MemberLevels({ levels, editable, onChanged }: { levels: MemberLevel[]; editable: boolean; onChanged: () => void }) {
  const { message } = App.useApp()
  const [rows, setRows] = useState<Row[] | null>(null)
  const shown: Row[] = rows ?? levels
  const change = (i: number, patch: Partial<Row>) => setRows(shown.map((r, j) => (j === i ? { ...r, ...patch, dirty: true } : r)))
  const nextId = shown.reduce((m, r) => Math.max(m, r.id), 0) + 1
  const fail = (e: unknown) => message.error(e instanceof ApiError ? e.message : '操作失败')
  const done = (text: string) => { message.success(text); setRows(null); onChanged() }
  return (
    <Table size='small' pagination={false} rowKey='id' dataSource={shown} title={() => '会员等级'} data-testid='member-levels'
      footer={() => <Button disabled={!editable} onClick={() => setRows([...shown, { id: nextId, name: '', rank: nextId, dirty: true, isNew: true }])}>添加会员等级</Button>}
      columns={[
        { title: '名称', render: (_, r, i) => <Input disabled={!editable} value={r.name} maxLength={20} onChange={(e) => change(i, { name: e.target.value })} /> },
        { title: '级别（越大越高）', render: (_, r, i) => <InputNumber disabled={!editable || r.id === 0} precision={0} min={0} value={r.rank} onChange={(x) => change(i, { rank: Number(x) })} /> },
        {
          title: '',
          render: (_, r) => (
            <>
              {r.dirty && <Button size='small' type='primary' disabled={!r.name.trim()}
                onClick={() => saveMemberLevel({ id: r.id, name: r.name.trim(), rank: r.rank }).then(() => done('会员等级已保存'), fail)}>保存</Button>}
              {!r.isNew && r.id !== 0 && editable && (
                <Popconfirm title='删除该会员等级？' okText='删除' cancelText='取消'
                  onConfirm={() => deleteMemberLevel(r.id).then(() => done('会员等级已删除'), fail)}>
                  <Button size='small' danger type='link'>删除</Button>
                </Popconfirm>
              )}
            </>
          ),
        },
      ]} />
  )
}

import { useState } from 'react'
import { Alert, Button, Card, DatePicker, Progress, Select, Space, Typography } from 'antd'
import { ApiError } from '../../services/errors'
import { exportPage, type ExportKind } from '../../services/console'
import { useMe } from '../context'
import { CSV_BOM, csvLine } from '../csv'

const KINDS: Array<[ExportKind, string]> = [['orders', '订单'], ['ledger', '资金流水（财务）'], ['distributions', '返利分配'], ['audit', '操作日志']]

interface Sink { write(text: string): Promise<void>; close(): Promise<void> }

/**
 * Where the CSV goes: a file the operator picks, written page by page (File System Access API,
 * constant memory), or else a Blob built from the pages' text parts, downloaded at the end.
 */
async function openSink(name: string): Promise<Sink> {
  const w = window as unknown as { showSaveFilePicker?: (o: unknown) => Promise<{ createWritable(): Promise<{ write(d: string): Promise<void>; close(): Promise<void> }> }> }
  if (w.showSaveFilePicker && !(window as unknown as { __consoleExportToBlob?: boolean }).__consoleExportToBlob) {
    const handle = await w.showSaveFilePicker({ suggestedName: name, types: [{ description: 'CSV', accept: { 'text/csv': ['.csv'] } }] })
    const out = await handle.createWritable()
    return { write: (t) => out.write(t), close: () => out.close() }
  }
  const parts: BlobPart[] = []
  return {
    write: async (t) => { parts.push(t) },
    close: async () => {
      const a = document.createElement('a')
      a.href = URL.createObjectURL(new Blob(parts, { type: 'text/csv;charset=utf-8' }))
      a.download = name
      document.body.appendChild(a)
      a.click()
      a.remove()
    },
  }
}

/** 导出: CSV (UTF-8 with BOM, so Excel opens the Chinese) fetched page by page (keyset) and streamed out. */
export default function Export() {
  const me = useMe()
  const [kind, setKind] = useState<ExportKind>('orders')
  const [range, setRange] = useState<[string, string] | null>(null)
  const [rows, setRows] = useState(0)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [done, setDone] = useState<string | null>(null)

  async function run() {
    if (!range) return
    setBusy(true); setError(null); setDone(null); setRows(0)
    const t0 = performance.now()
    try {
      const sink = await openSink(`${KINDS.find((k) => k[0] === kind)![1]}-${range[0]}-${range[1]}.csv`)
      let after = 0
      let n = 0
      let first = true
      for (;;) {
        const page = await exportPage(kind, range[0], range[1], after, 5000)
        if (first) { await sink.write(`${CSV_BOM}${csvLine(page.header)}`); first = false }
        if (page.rows.length) await sink.write(page.rows.map(csvLine).join(''))
        n += page.rows.length
        setRows(n)
        if (page.done || page.last_id === null) break
        after = page.last_id
      }
      await sink.close()
      setDone(`已导出 ${n} 行，用时 ${((performance.now() - t0) / 1000).toFixed(1)} 秒`)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : e instanceof Error && e.name === 'AbortError' ? '已取消' : '导出失败')
    } finally {
      setBusy(false)
    }
  }
  const kinds = KINDS.filter(([k]) => k !== 'ledger' || me.roles.includes('finance') || me.roles.includes('admin'))
  return (
    <Card title='导出' data-testid='page-export'>
      <Space direction='vertical'>
        <Space wrap>
          <Select style={{ width: 200 }} value={kind} onChange={setKind} options={kinds.map(([value, label]) => ({ value, label }))} data-testid='export-kind' />
          <DatePicker.RangePicker onChange={(_, s) => setRange(s[0] && s[1] ? [s[0], s[1]] : null)} data-testid='export-range' />
          <Button type='primary' loading={busy} disabled={!range} onClick={() => void run()} data-testid='export-run'>导出 CSV</Button>
        </Space>
        <Typography.Text type='secondary'>按北京时间日期导出，最长一年；文件为 UTF-8（带 BOM），Excel 可直接打开。</Typography.Text>
        {busy && <Progress percent={99} status='active' format={() => `${rows} 行`} />}
        {done && <Alert type='success' showIcon message={done} data-testid='export-done' />}
        {error && <Alert type='error' showIcon message={error} />}
      </Space>
    </Card>
  )
}

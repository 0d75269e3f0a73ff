import type { ReactNode } from 'react'

/**
 * A plain table for the dashboard: the first screen after login stays small (antd's Table, with
 * its pagination, filters and virtual list, loads with the list pages that need it).
 */
export function SimpleTable<T>({ rows, columns, rowKey, testId }: {
  rows: T[]
  columns: Array<{ title: string; render: (row: T) => ReactNode }>
  rowKey: (row: T) => string | number
  testId?: string
}) {
  const cell = { padding: '8px 12px', borderBottom: '1px solid #f0f0f0', textAlign: 'left' as const }
  return (
    <table style={{ width: '100%', borderCollapse: 'collapse', fontSize: 14 }} data-testid={testId}>
      <thead><tr>{columns.map((c) => <th key={c.title} style={{ ...cell, background: '#fafafa', fontWeight: 500 }}>{c.title}</th>)}</tr></thead>
      <tbody>
        {rows.length === 0 && <tr><td style={{ ...cell, color: '#999' }} colSpan={columns.length}>暂无数据</td></tr>}
        {rows.map((r) => <tr key={rowKey(r)}>{columns.map((c) => <td key={c.title} style={cell}>{c.render(r)}</td>)}</tr>)}
      </tbody>
    </table>
  )
}

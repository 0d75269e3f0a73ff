/** CSV for the export (RFC 4180 quoting, CRLF); the file starts with a UTF-8 BOM so Excel reads the Chinese. */
export const CSV_BOM = '\uFEFF'

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export const csvLine = (row: unknown[]): string => `${row.map(cell).join(',')}\r\n`

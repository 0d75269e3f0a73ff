/** A small read-only view of a JSON value (audit before/after, details). */
export function JsonBlock({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span>—</span>
  return <pre style={{ margin: 0, maxWidth: 360, whiteSpace: 'pre-wrap', fontSize: 12 }}>{JSON.stringify(value, null, 1)}</pre>
}

import { useCallback, useEffect, useRef, useState } from 'react'
import { ApiError } from '../../services/errors'

/**
 * Keyset pagination for a console list: the server returns one page after a cursor; the table
 * shows one page at a time with 上一页 / 下一页 (the cursors of the pages seen are kept), never
 * the whole table. `deps` restart from the first page (filters changed).
 */
export function useKeyset<T, C>(load: (cursor: C | null) => Promise<T[]>, cursorOf: (row: T) => C, pageSize: number, deps: unknown[]) {
  const [rows, setRows] = useState<T[]>([])
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const cursors = useRef<Array<C | null>>([null])
  const [page, setPage] = useState(0)

  const fetchPage = useCallback(async (index: number) => {
    setLoading(true)
    setError(null)
    try {
      const data = await load(cursors.current[index])
      setRows(data)
      setPage(index)
      if (data.length === pageSize) cursors.current[index + 1] = cursorOf(data[data.length - 1])
      else cursors.current = cursors.current.slice(0, index + 1)
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '加载失败，请稍后重试')
    } finally {
      setLoading(false)
    }
  }, deps) // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    cursors.current = [null]
    void fetchPage(0)
  }, [fetchPage])

  return {
    rows, loading, error, page,
    hasNext: cursors.current.length > page + 1,
    next: () => fetchPage(page + 1),
    prev: () => fetchPage(Math.max(0, page - 1)),
    reload: () => fetchPage(page),
  }
}

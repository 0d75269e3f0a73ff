import { useCallback, useRef } from 'react'
import { userMessage } from './user-message'

/** A list loaded page by page (newest first, keyset: the last id seen). */
export interface Paged<T> {
  items: T[]
  hasMore: boolean
  loadingMore: boolean
  /** a failure while loading more (the items already shown stay) */
  error: string | null
}

export function firstPage<T>(items: T[], pageSize: number): Paged<T> {
  return { items, hasMore: items.length >= pageSize, loadingMore: false, error: null }
}

/**
 * Loads the next page of a Paged<T> kept by the caller (usually inside its page data).
 * `fetchAfter(lastItem)` returns the page after that item.
 */
export function useLoadMore<T>(
  get: () => Paged<T> | null,
  set: (change: (list: Paged<T>) => Paged<T>) => void,
  fetchAfter: (last: T) => Promise<T[]>,
  pageSize: number,
): () => Promise<void> {
  const busy = useRef(false)
  const fetchRef = useRef(fetchAfter)
  fetchRef.current = fetchAfter
  const getRef = useRef(get)
  getRef.current = get
  const setRef = useRef(set)
  setRef.current = set

  return useCallback(async () => {
    const set = setRef.current
    const list = getRef.current()
    if (!list || busy.current || !list.hasMore || list.items.length === 0) return
    busy.current = true
    set((l) => ({ ...l, loadingMore: true, error: null }))
    try {
      const next = await fetchRef.current(list.items[list.items.length - 1])
      set((l) => ({ items: [...l.items, ...next], hasMore: next.length >= pageSize, loadingMore: false, error: null }))
    } catch (error) {
      set((l) => ({ ...l, loadingMore: false, error: userMessage(error) }))
    } finally {
      busy.current = false
    }
  }, [pageSize])
}

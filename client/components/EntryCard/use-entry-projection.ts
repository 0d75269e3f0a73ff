import { useEffect, useState } from 'react'
import { entryProjection } from '@/services/projection'

export interface ProjectionTexts {
  /** '预计 12–30 天（80% 区间）', '清零前完成的概率约 35%', '无法估计', '估算中…' */
  headline: string
  /** one line: how it is estimated, or why not */
  note: string | null
}

const LOADING: ProjectionTexts = { headline: '估算中…', note: null }

/**
 * The projection of a waiting entry (the `projection` edge function), refreshed when the entry
 * changes (its remaining amount moves as it is paid). A failure is shown as 无法估计 with the
 * error's text: never a figure without its method.
 */
export function useEntryProjection(entryId: number, waiting: boolean, remainingFen: unknown): ProjectionTexts | null {
  const [texts, setTexts] = useState<ProjectionTexts | null>(waiting ? LOADING : null)
  const key = `${entryId}:${String(remainingFen)}`
  useEffect(() => {
    if (!waiting) {
      setTexts(null)
      return
    }
    let live = true
    setTexts(LOADING)
    entryProjection(entryId).then(
      (p) => live && setTexts({ headline: p.headline || '无法估计', note: p.note || null }),
      (e: unknown) => live && setTexts({ headline: '无法估计', note: e instanceof Error ? e.message : '暂时无法获取估计' }),
    )
    return () => {
      live = false
    }
  }, [key, waiting]) // eslint-disable-line react-hooks/exhaustive-deps
  return texts
}

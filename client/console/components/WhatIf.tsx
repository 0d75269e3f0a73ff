import { useEffect, useState } from 'react'
import { Alert, Card, Descriptions } from 'antd'
import { modelFromQueueInput, seedFrom, structuralGrowthText, UNKNOWN_REASON_TEXT, type QueueModel } from '../../lib/projection'
import { fetchQueueProjectionInput, listQueues, type QueueProjectionInput } from '../../services/console'
import { yuan } from '../format'

/**
 * 改动预估 before saving the extraction or default reward ratio (docs/projection.md): for the
 * queue that owes the most, how long its current liability takes to repay (P50, P10–P90) at
 * the saved and at the proposed extraction ratio — the same sales extract proportionally — and
 * what every yuan of new sales adds under each.
 */
export function WhatIf({ saved, proposed }: { saved: { extraction: number; reward: number }; proposed: { extraction: number; reward: number } }) {
  const [input, setInput] = useState<QueueProjectionInput | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    listQueues(null, 50)
      .then((qs) => [...qs].sort((a, b) => Number(b.owed_fen) - Number(a.owed_fen))[0])
      .then((q) => (q ? fetchQueueProjectionInput(q.queue_id).then(setInput) : setError('还没有队列')))
      .catch((e: Error) => setError(e.message))
  }, [])
  const days = (m: QueueModel, owed: number) => {
    if (m.kind === 'unknown') return UNKNOWN_REASON_TEXT[m.reason]
    const day = (q: number) => {
      const i = m.thresholds[q].findIndex((paid) => paid >= owed)
      return i < 0 ? `${m.horizonDays} 天以上` : `${i + 1} 天`
    }
    return `中位 ${day(1)}（80% 区间 ${day(2)}–${day(0)}）`
  }
  return (
    <Card size='small' title='改动预估' style={{ marginTop: 12 }} data-testid='what-if'>
      {error && <Alert type='info' message={error} />}
      {input && (() => {
        const owed = Number(input.waiting_fen)
        const seed = seedFrom(`${input.queue_id}:what-if`)
        const now = modelFromQueueInput(input, { seed, runs: 1000 })
        const scale = saved.extraction > 0 ? proposed.extraction / saved.extraction : 1
        const next = modelFromQueueInput(input, { seed, runs: 1000 }, scale)
        return (
          <Descriptions size='small' column={1} bordered items={[
            { key: 'q', label: '预估队列', children: `${input.queue_name}（待返 ${yuan(owed)}）` },
            { key: 'now', label: '现行设置：返完当前待返', children: days(now, owed) },
            { key: 'next', label: '修改后：返完当前待返', children: <span data-testid='what-if-next'>{days(next, owed)}</span> },
            { key: 'gn', label: '现行设置：新增销售', children: structuralGrowthText(saved.reward, saved.extraction) },
            { key: 'gp', label: '修改后：新增销售', children: <span data-testid='what-if-growth'>{structuralGrowthText(proposed.reward, proposed.extraction)}</span> },
          ]} />
        )
      })()}
    </Card>
  )
}

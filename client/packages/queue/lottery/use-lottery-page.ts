import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, idParam } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import { drawLottery, LOTTERY_REFUSALS, type LotteryResult } from '@/services/lottery'
import { fetchDisplaySettings, fetchMyEntry, type DisplaySettings, type Entry } from '@/services/queue'

export interface LotteryData {
  entry: Entry
  display: DisplaySettings
}

/** The draw: idle → rolling (animation while the server draws) → done, or refused. */
export type DrawState =
  | { phase: 'idle' }
  | { phase: 'rolling'; shownBps: number }
  | { phase: 'done'; result: LotteryResult }
  | { phase: 'refused'; message: string }

export interface LotteryPage extends SignedInLoad<LotteryData> {
  draw: DrawState
  start: () => Promise<void>
  backToQueue: () => void
}

/** The animation runs at least this long, so a fast answer still reads as a draw. */
export const MIN_ROLL_MS = 1200
const FRAME_MS = 80

export function useLotteryPage(): LotteryPage {
  const entryId = idParam(useRouter().params.entry_id)
  const load = useCallback(async (): Promise<LotteryData> => {
    if (entryId === null) throw new ApiError('entry_not_found', '排队名额不存在', 0)
    const [entry, display] = await Promise.all([fetchMyEntry(entryId), fetchDisplaySettings()])
    return { entry, display }
  }, [entryId])
  const page = useSignedInLoad(load)
  const [draw, setDraw] = useState<DrawState>({ phase: 'idle' })
  const timer = useRef<ReturnType<typeof setInterval> | null>(null)

  const stopRolling = (): void => {
    if (timer.current !== null) clearInterval(timer.current)
    timer.current = null
  }
  useEffect(() => stopRolling, [])

  const start = useCallback(async (): Promise<void> => {
    if (entryId === null || draw.phase === 'rolling') return
    setDraw({ phase: 'rolling', shownBps: 1000 })
    timer.current = setInterval(() => {
      // Whole percents from 1% to 200%: only a visual roll, the server decides the ratio.
      setDraw({ phase: 'rolling', shownBps: (1 + Math.floor(Math.random() * 200)) * 100 })
    }, FRAME_MS)
    const started = Date.now()
    let outcome: DrawState
    try {
      const result = await drawLottery(entryId)
      outcome = { phase: 'done', result }
    } catch (error) {
      const message =
        error instanceof ApiError && error.hint === null && LOTTERY_REFUSALS[error.code] ? LOTTERY_REFUSALS[error.code] : userMessage(error)
      outcome = { phase: 'refused', message }
    }
    const wait = MIN_ROLL_MS - (Date.now() - started)
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    stopRolling()
    setDraw(outcome)
    if (outcome.phase === 'done') {
      const { result } = outcome
      page.update((d) => ({
        ...d,
        entry: {
          ...d.entry,
          reward_bps: result.drawn_bps,
          drawn_bps: result.drawn_bps,
          entitlement_fen: result.entitlement_fen,
          remaining_fen: result.remaining_fen,
          rule_label: result.rule_label,
          can_draw: false,
        },
      }))
    }
  }, [entryId, draw.phase, page])

  return {
    ...page,
    draw,
    start,
    backToQueue: () => void Taro.switchTab({ url: TAB.queue }),
  }
}

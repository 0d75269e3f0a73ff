import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, idParam } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import { exchangeEntry, previewExchange, type ExchangePreview, type ExchangeResult, type ExchangeTarget } from '@/services/exchange'
import { fetchDisplaySettings, fetchMyEntry, type DisplaySettings, type Entry } from '@/services/queue'

export interface ExchangeData {
  entry: Entry
  display: DisplaySettings
}

export type PreviewState =
  | { kind: 'none' }
  | { kind: 'loading'; target: ExchangeTarget }
  | { kind: 'ready'; preview: ExchangePreview }
  | { kind: 'error'; target: ExchangeTarget; message: string }

export type SubmitState = { kind: 'idle' } | { kind: 'confirming' } | { kind: 'submitting' } | { kind: 'done'; result: ExchangeResult } | { kind: 'failed'; message: string }

export interface ExchangePage extends SignedInLoad<ExchangeData> {
  target: ExchangeTarget | null
  choose: (target: ExchangeTarget) => void
  preview: PreviewState
  submit: SubmitState
  askConfirm: () => void
  cancelConfirm: () => void
  confirm: () => Promise<void>
  backToQueue: () => void
}

/**
 * 兑换 (named by 兑换自定义名称): a waiting entry's remaining entitlement → points or love
 * value. The exact amount comes from preview_exchange before the member confirms.
 */
export function useExchangePage(): ExchangePage {
  const entryId = idParam(useRouter().params.entry_id)
  const load = useCallback(async (): Promise<ExchangeData> => {
    if (entryId === null) throw new ApiError('entry_not_found', '排队名额不存在', 0)
    const [entry, display] = await Promise.all([fetchMyEntry(entryId), fetchDisplaySettings()])
    return { entry, display }
  }, [entryId])
  const page = useSignedInLoad(load)
  const [target, setTarget] = useState<ExchangeTarget | null>(null)
  const [preview, setPreview] = useState<PreviewState>({ kind: 'none' })
  const [submit, setSubmit] = useState<SubmitState>({ kind: 'idle' })
  const asked = useRef(0)

  const title = page.state.kind === 'ready' ? page.state.data.display.exchange_name : null
  useEffect(() => {
    if (title) void Taro.setNavigationBarTitle({ title })
  }, [title])

  const choose = useCallback(
    (next: ExchangeTarget): void => {
      if (entryId === null) return
      setTarget(next)
      setSubmit({ kind: 'idle' })
      setPreview({ kind: 'loading', target: next })
      const ticket = ++asked.current
      previewExchange(entryId, next).then(
        (result) => {
          if (ticket === asked.current) setPreview({ kind: 'ready', preview: result })
        },
        (error: unknown) => {
          if (ticket === asked.current) setPreview({ kind: 'error', target: next, message: userMessage(error) })
        },
      )
    },
    [entryId],
  )

  const confirm = useCallback(async (): Promise<void> => {
    if (entryId === null || preview.kind !== 'ready') return
    setSubmit({ kind: 'submitting' })
    try {
      const result = await exchangeEntry(entryId, preview.preview.target)
      setSubmit({ kind: 'done', result })
      page.update((d) => ({
        ...d,
        entry: { ...d.entry, status: 'exchanged', status_label: '已兑换', remaining_fen: 0, can_exchange: false, can_draw: false },
      }))
    } catch (error) {
      setSubmit({ kind: 'failed', message: userMessage(error) })
    }
  }, [entryId, preview, page])

  return {
    ...page,
    target,
    choose,
    preview,
    submit,
    askConfirm: () => setSubmit({ kind: 'confirming' }),
    cancelConfirm: () => setSubmit({ kind: 'idle' }),
    confirm,
    backToQueue: () => void Taro.switchTab({ url: TAB.queue }),
  }
}

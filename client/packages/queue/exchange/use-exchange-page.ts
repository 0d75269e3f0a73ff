import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, idParam } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import {
  exchangeEntry,
  exchangeUnionEntry,
  previewExchange,
  previewUnionExchange,
  type ExchangePreview,
  type ExchangeResult,
  type ExchangeTarget,
} from '@/services/exchange'
import { fetchDisplaySettings, fetchMyEntry, type DisplaySettings } from '@/services/queue'
import { fetchMyUnionEntries, UNION_STATUS_LABEL } from '@/services/union'

/** What the page shows of the entry, classic (待返权益) or union (分红额度). */
export interface ExchangeEntry {
  status: string
  status_label: string
  can_exchange: boolean | null
  item_name: string
  received_fen: number
  /** 总权益 (classic) or 分红额度 (union) */
  total_fen: number
  remaining_fen: number
}

export interface ExchangeData {
  entry: ExchangeEntry
  display: DisplaySettings
  /** a union entry (工会排队, SPEC §9 in union mode): ?union_entry_id= */
  union: boolean
}

async function loadEntry(entryId: number, union: boolean): Promise<ExchangeEntry> {
  if (!union) {
    const e = await fetchMyEntry(entryId)
    return { status: e.status, status_label: e.status_label, can_exchange: e.can_exchange, item_name: e.item_name,
             received_fen: e.received_fen, total_fen: e.entitlement_fen, remaining_fen: e.remaining_fen }
  }
  const e = (await fetchMyUnionEntries()).find((x) => Number(x.entry_id) === entryId)
  if (!e) throw new ApiError('entry_not_found', '排队名额不存在', 200)
  return { status: e.status, status_label: UNION_STATUS_LABEL[e.status] ?? e.status, can_exchange: e.can_exchange,
           item_name: `工会排队 · 订单 ${e.order_no}`, received_fen: e.received_fen, total_fen: e.quota_fen, remaining_fen: e.remaining_fen }
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
  const params = useRouter().params
  const union = params.union_entry_id !== undefined
  const entryId = idParam(union ? params.union_entry_id : params.entry_id)
  const load = useCallback(async (): Promise<ExchangeData> => {
    if (entryId === null) throw new ApiError('entry_not_found', '排队名额不存在', 0)
    const [entry, display] = await Promise.all([loadEntry(entryId, union), fetchDisplaySettings()])
    return { entry, display, union }
  }, [entryId, union])
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
      const ask = union ? previewUnionExchange : previewExchange
      ask(entryId, next).then(
        (result) => {
          if (ticket === asked.current) setPreview({ kind: 'ready', preview: result })
        },
        (error: unknown) => {
          if (ticket === asked.current) setPreview({ kind: 'error', target: next, message: userMessage(error) })
        },
      )
    },
    [entryId, union],
  )

  const confirm = useCallback(async (): Promise<void> => {
    if (entryId === null || preview.kind !== 'ready') return
    setSubmit({ kind: 'submitting' })
    try {
      const result = await (union ? exchangeUnionEntry : exchangeEntry)(entryId, preview.preview.target)
      setSubmit({ kind: 'done', result })
      page.update((d) => ({
        ...d,
        entry: { ...d.entry, status: 'exchanged', status_label: '已兑换', remaining_fen: 0, can_exchange: false },
      }))
    } catch (error) {
      setSubmit({ kind: 'failed', message: userMessage(error) })
    }
  }, [entryId, union, preview, page])

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

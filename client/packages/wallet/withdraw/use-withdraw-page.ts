import Taro, { usePullDownRefresh, useReachBottom } from '@tarojs/taro'
import { useCallback, useEffect, useRef, useState } from 'react'
import { firstPage, useLoadMore, type Paged } from '@/hooks/use-paged'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { askSubscribe, prefetchSubscribe } from '@/services/subscribe'
import { fenToYuanInput } from '@/lib/money'
import { withdrawPreview, type WithdrawPreview } from '@/lib/withdraw'
import {
  confirmReceipt as openConfirmation,
  fetchMyWithdrawals,
  fetchWithdrawalInfo,
  requestWithdrawal,
  type Withdrawal,
  type WithdrawalInfo,
  type WithdrawAsset,
} from '@/services/withdrawals'

const PAGE = 20

export interface WithdrawData {
  info: WithdrawalInfo
  history: Paged<Withdrawal>
}

export type SubmitState =
  | { kind: 'idle' }
  | { kind: 'confirming' }
  | { kind: 'submitting' }
  | { kind: 'done'; result: Withdrawal }
  | { kind: 'failed'; message: string }

export interface WithdrawPage extends SignedInLoad<WithdrawData> {
  asset: WithdrawAsset
  setAsset: (asset: WithdrawAsset) => void
  amount: string
  setAmount: (amount: string) => void
  /** withdraw everything of the chosen balance */
  fillAll: () => void
  balanceFen: number
  preview: WithdrawPreview | null
  submit: SubmitState
  askConfirm: () => void
  cancelConfirm: () => void
  confirm: () => Promise<void>
  again: () => void
  loadMore: () => Promise<void>
  /** 确认收款 of a transfer waiting for me: the withdrawal being confirmed, or the last failure */
  receipt: ReceiptState
  confirmReceipt: (w: Withdrawal) => Promise<void>
}

export type ReceiptState = { kind: 'idle' } | { kind: 'busy'; id: number } | { kind: 'failed'; id: number; message: string }

/** 提现: the rules, the form with its fee preview, and my requests (审核中 / 待确认收款 / 已打款 / 已驳回 / 已退回). */
export function useWithdrawPage(initialAsset: WithdrawAsset): WithdrawPage {
  const load = useCallback(async (): Promise<WithdrawData> => {
    const [info, rows] = await Promise.all([fetchWithdrawalInfo(), fetchMyWithdrawals(null, PAGE)])
    return { info, history: firstPage(rows, PAGE) }
  }, [])
  const page = useSignedInLoad(load)
  const [asset, setAsset] = useState<WithdrawAsset>(initialAsset)
  const [amount, setAmountState] = useState('')
  const [submit, setSubmit] = useState<SubmitState>({ kind: 'idle' })
  const [receipt, setReceipt] = useState<ReceiptState>({ kind: 'idle' })

  const data = page.state.kind === 'ready' ? page.state.data : null
  const balanceFen = data ? Number(asset === 'cash' ? data.info.cash_fen : data.info.commission_fen) : 0
  const preview = data ? withdrawPreview(amount, balanceFen, data.info) : null

  useEffect(() => { void prefetchSubscribe('withdrawal') }, [])

  const confirm = useCallback(async (): Promise<void> => {
    if (!preview || preview.problem !== null || preview.amountFen === null) return
    void askSubscribe('withdrawal')   // SPEC §12: the result is messaged (the popup must open in this tap)
    setSubmit({ kind: 'submitting' })
    try {
      const result = await requestWithdrawal(asset, preview.amountFen)
      setSubmit({ kind: 'done', result })
      setAmountState('')
      await page.reload()
    } catch (error) {
      setSubmit({ kind: 'failed', message: userMessage(error) })
    }
  }, [asset, preview, page])

  const stateRef = useRef(page.state)
  stateRef.current = page.state
  const loadMore = useLoadMore<Withdrawal>(
    () => (stateRef.current.kind === 'ready' ? stateRef.current.data.history : null),
    (change) => page.update((d) => ({ ...d, history: change(d.history) })),
    (last) => fetchMyWithdrawals(last.withdrawal_id, PAGE),
    PAGE,
  )
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  useReachBottom(() => void loadMore())

  const confirmReceipt = useCallback(async (w: Withdrawal): Promise<void> => {
    setReceipt({ kind: 'busy', id: w.withdrawal_id })
    try {
      await openConfirmation(w)
      await page.reload()
      setReceipt({ kind: 'idle' })
    } catch (error) {
      setReceipt({ kind: 'failed', id: w.withdrawal_id, message: userMessage(error) })
    }
  }, [page])

  return {
    ...page,
    asset,
    setAsset: (next) => {
      setAsset(next)
      if (submit.kind === 'failed') setSubmit({ kind: 'idle' })
    },
    amount,
    setAmount: (value) => {
      setAmountState(value.trim())
      if (submit.kind === 'failed' || submit.kind === 'done') setSubmit({ kind: 'idle' })
    },
    fillAll: () => setAmountState(balanceFen > 0 ? fenToYuanInput(balanceFen) : ''),
    balanceFen,
    preview,
    submit,
    askConfirm: () => {
      if (preview && preview.problem === null) setSubmit({ kind: 'confirming' })
    },
    cancelConfirm: () => setSubmit({ kind: 'idle' }),
    confirm,
    again: () => setSubmit({ kind: 'idle' }),
    loadMore,
    receipt,
    confirmReceipt,
  }
}

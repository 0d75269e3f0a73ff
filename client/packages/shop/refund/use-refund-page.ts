import { useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { idParam } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import {
  cancelRefundRequest,
  fetchMyRefundRequests,
  fetchRefundQuote,
  requestRefund,
  type RefundQuoteLine,
  type RefundRequest,
} from '@/services/refunds'

export interface RefundData {
  orderId: number
  lines: RefundQuoteLine[]
  requests: RefundRequest[]
}

export type SubmitState = { kind: 'idle' } | { kind: 'busy' } | { kind: 'failed'; message: string }

export interface RefundPage extends SignedInLoad<RefundData> {
  selected: number[]
  toggle: (lineNo: number) => void
  reason: string
  setReason: (reason: string) => void
  detail: string
  setDetail: (text: string) => void
  /** the refundable cash of the chosen lines (the quote's own figures added up) */
  totalFen: bigint
  pointsFen: bigint
  loveFen: bigint
  problem: string | null
  submit: SubmitState
  send: () => Promise<void>
  withdraw: (requestId: number) => Promise<void>
}

/** 申请退款 (?order_id=): choose lines, see the refundable amount, give a reason; the requests' states. */
export function useRefundPage(): RefundPage {
  const orderId = idParam(useRouter().params.order_id)
  const [picked, setPicked] = useState<number[] | null>(null)
  const [reason, setReason] = useState('')
  const [detail, setDetail] = useState('')
  const [submit, setSubmit] = useState<SubmitState>({ kind: 'idle' })

  const load = useCallback(async (): Promise<RefundData> => {
    if (orderId === null) throw new ApiError('order_not_found', '订单不存在', 0)
    const [lines, requests] = await Promise.all([fetchRefundQuote(orderId), fetchMyRefundRequests(orderId, null, 20)])
    return { orderId, lines, requests }
  }, [orderId])
  const page = useSignedInLoad(load)
  const data = page.state.kind === 'ready' ? page.state.data : null

  const open = data ? data.lines.filter((l) => l.refundable).map((l) => l.line_no) : []
  const selected = (picked ?? open).filter((n) => open.includes(n))
  const chosen = data ? data.lines.filter((l) => selected.includes(l.line_no)) : []
  const sum = (f: (l: RefundQuoteLine) => number): bigint => chosen.reduce((s, l) => s + BigInt(f(l)), 0n)
  const text = [reason, detail.trim()].filter(Boolean).join('：')

  let problem: string | null = null
  if (open.length === 0) problem = '没有可申请退款的商品'
  else if (selected.length === 0) problem = '请选择要退款的商品'
  else if (reason === '') problem = '请选择退款原因'
  else if (text.length > 200) problem = '退款说明最多 200 个字'

  const send = useCallback(async (): Promise<void> => {
    if (!data || problem !== null || submit.kind === 'busy') return
    setSubmit({ kind: 'busy' })
    try {
      await requestRefund(data.orderId, selected, text)
      setSubmit({ kind: 'idle' })
      setPicked(null)
      setDetail('')
      await page.reload()
    } catch (error) {
      setSubmit({ kind: 'failed', message: userMessage(error) })
    }
  }, [data, problem, submit.kind, selected, text, page])

  const withdraw = useCallback(
    async (requestId: number): Promise<void> => {
      try {
        await cancelRefundRequest(requestId)
        setSubmit({ kind: 'idle' })
        await page.reload()
      } catch (error) {
        setSubmit({ kind: 'failed', message: userMessage(error) })
      }
    },
    [page],
  )

  return {
    ...page,
    selected,
    toggle: (n) => setPicked(selected.includes(n) ? selected.filter((x) => x !== n) : [...selected, n]),
    reason,
    setReason,
    detail,
    setDetail,
    totalFen: sum((l) => l.refundable_fen),
    pointsFen: sum((l) => l.points_deduct_fen),
    loveFen: sum((l) => l.love_deduct_fen),
    problem,
    submit,
    send,
    withdraw,
  }
}

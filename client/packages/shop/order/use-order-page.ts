import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { TAB, idParam, routes } from '@/lib/routes'
import { ApiError } from '@/services/errors'
import { cancelMyOrder, fetchMyOrder, type Order } from '@/services/orders'
import { payOrder } from '@/services/payment'

export type ActionState = { kind: 'idle' } | { kind: 'busy'; what: 'pay' | 'cancel' } | { kind: 'failed'; message: string }

export interface OrderPage extends SignedInLoad<Order> {
  /** opened right after a successful payment */
  justPaid: boolean
  action: ActionState
  pay: () => Promise<void>
  cancel: () => Promise<void>
  openQueue: () => void
  openRefund: () => void
}

/** 订单详情: lines with their queue entries; pay or cancel while pending. */
export function useOrderPage(): OrderPage {
  const params = useRouter().params
  const orderId = idParam(params.id)
  const [justPaid, setJustPaid] = useState(params.paid === '1')
  const [action, setAction] = useState<ActionState>({ kind: 'idle' })
  const load = useCallback(async (): Promise<Order> => {
    if (orderId === null) throw new ApiError('order_not_found', '订单不存在', 0)
    return fetchMyOrder(orderId)
  }, [orderId])
  const page = useSignedInLoad(load)

  const run = useCallback(
    async (what: 'pay' | 'cancel'): Promise<void> => {
      if (page.state.kind !== 'ready' || action.kind === 'busy') return
      const order = page.state.data
      setAction({ kind: 'busy', what })
      try {
        const next = what === 'pay' ? await payOrder(order) : await cancelMyOrder(order.order_id)
        page.update(() => next)
        setJustPaid(what === 'pay')
        setAction({ kind: 'idle' })
      } catch (error) {
        setAction({ kind: 'failed', message: userMessage(error) })
      }
    },
    [page, action.kind],
  )

  return {
    ...page,
    justPaid,
    action,
    pay: () => run('pay'),
    cancel: () => run('cancel'),
    openQueue: () => void Taro.switchTab({ url: TAB.queue }),
    openRefund: () => {
      if (orderId !== null) void Taro.navigateTo({ url: routes.refund(orderId) })
    },
  }
}

import Taro from '@tarojs/taro'
import { localDev } from './env'
import { ApiError } from './errors'
import { invokeFunction } from './api'
import { fetchMyOrder, type Order } from './orders'
import { askSubscribe, prefetchSubscribe } from './subscribe'

/**
 * Paying an order.
 *   local stack (LOCAL_DEV): POST /functions/v1/dev-pay {order_id}, which marks it paid at once
 *   (as WeChat Pay's notification would) and answers the order as my_order shows it.
 *   WeChat: POST /functions/v1/pay-order {order_no} → wx.requestPayment parameters; the
 *   order is paid when WeChat's notification reaches the backend, so we then wait for it.
 * Either way the result is the order as the backend now has it (my_order).
 */

/** What pay-order returns: exactly the wx.requestPayment parameters (JSAPI, RSA). */
export interface PaymentParams {
  timeStamp: string
  nonceStr: string
  package: string
  signType: 'RSA' | 'MD5' | 'HMAC-SHA256'
  paySign: string
}

export async function payOrder(order: Pick<Order, 'order_id' | 'order_no'>): Promise<Order> {
  if (localDev) return invokeFunction<Order>('dev-pay', { order_id: order.order_id })
  void prefetchSubscribe('paid')
  const params = await invokeFunction<PaymentParams>('pay-order', { order_no: order.order_no })
  try {
    // SPEC §12: after paying, offer the queue messages (allowed in the payment callback)
    await Taro.requestPayment({ ...params, success: () => void askSubscribe('paid') })
  } catch (error) {
    const message = error && typeof error === 'object' ? String((error as { errMsg?: unknown }).errMsg ?? '') : ''
    if (/cancel/i.test(message)) throw new ApiError('payment_cancelled', '已取消支付', 0)
    throw new ApiError('payment_failed', '支付未完成，请稍后重试', 0)
  }
  return waitUntilPaid(order.order_id)
}

/** The client callback is no proof of payment: poll the order until the notification landed. */
async function waitUntilPaid(orderId: number, tries = 10, intervalMs = 1000): Promise<Order> {
  for (let i = 0; i < tries; i += 1) {
    const current = await fetchMyOrder(orderId)
    if (current.status !== 'pending') return current
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
  throw new ApiError('payment_pending', '支付结果确认中，请稍后在订单中查看', 0)
}

import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { userMessage } from '@/hooks/user-message'
import { idParam, routes } from '@/lib/routes'
import { findProduct, type Product } from '@/services/catalog'
import { ApiError } from '@/services/errors'
import { createOrder, previewOrder, type OrderPreview } from '@/services/orders'
import { payOrder } from '@/services/payment'

export interface DetailData {
  product: Product
  /** the server's preview for one piece; null when the backend has none yet */
  preview: OrderPreview | null
}

export type BuyState = { kind: 'idle' } | { kind: 'creating' } | { kind: 'paying' } | { kind: 'failed'; message: string }

export interface DetailPage extends SignedInLoad<DetailData> {
  quantity: number
  setQuantity: (quantity: number) => void
  buy: BuyState
  buyNow: () => Promise<void>
}

export const MAX_QUANTITY = 99

/** 商品详情: price, whether and at what ratio it earns a rebate, buy and pay. */
export function useDetailPage(): DetailPage {
  const productId = idParam(useRouter().params.id)
  const [quantity, setQuantity] = useState(1)
  const [buy, setBuy] = useState<BuyState>({ kind: 'idle' })

  const load = useCallback(async (): Promise<DetailData> => {
    if (productId === null) throw new ApiError('product_not_found', '商品不存在', 0)
    const product = await findProduct(productId)
    if (!product) throw new ApiError('product_not_found', '商品不存在或已下架', 0)
    const preview = await previewOrder({ channel: 'mall', lines: [{ product_id: product.id, quantity: 1 }] })
    return { product, preview }
  }, [productId])
  const page = useSignedInLoad(load)

  const buyNow = useCallback(async (): Promise<void> => {
    if (page.state.kind !== 'ready' || buy.kind === 'creating' || buy.kind === 'paying') return
    const { product } = page.state.data
    setBuy({ kind: 'creating' })
    let order
    try {
      order = await createOrder({ channel: 'mall', lines: [{ product_id: product.id, quantity }] })
    } catch (error) {
      setBuy({ kind: 'failed', message: userMessage(error) })
      return
    }
    setBuy({ kind: 'paying' })
    try {
      const paid = await payOrder(order)
      setBuy({ kind: 'idle' })
      void Taro.redirectTo({ url: routes.order(paid.order_id, true) })
    } catch (error) {
      // The order exists but is unpaid: its page offers paying again or cancelling.
      setBuy({ kind: 'idle' })
      void Taro.showToast({ title: userMessage(error), icon: 'none' })
      void Taro.redirectTo({ url: routes.order(order.order_id) })
    }
  }, [page.state, buy.kind, quantity])

  return {
    ...page,
    quantity,
    setQuantity: (q) => setQuantity(Math.min(MAX_QUANTITY, Math.max(1, Math.floor(q) || 1))),
    buy,
    buyNow,
  }
}

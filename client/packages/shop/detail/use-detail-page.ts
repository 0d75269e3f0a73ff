import Taro, { useRouter } from '@tarojs/taro'
import { useCallback, useState } from 'react'
import { useInviteShare } from '@/hooks/use-invite-share'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { formatFen } from '@/lib/money'
import { TAB, idParam, routes } from '@/lib/routes'
import { findProduct, type Product } from '@/services/catalog'
import { ApiError } from '@/services/errors'
import { previewOrder, type OrderPreview } from '@/services/orders'

export interface DetailData {
  product: Product
  /** the server's preview for one piece; null when the backend has none yet */
  preview: OrderPreview | null
}

export interface DetailPage extends SignedInLoad<DetailData> {
  quantity: number
  setQuantity: (quantity: number) => void
  buyNow: () => Promise<void>
}

export const MAX_QUANTITY = 99

/** 商品详情: price, whether and at what ratio it earns a rebate; 立即购买 opens 确认订单. */
export function useDetailPage(): DetailPage {
  const params = useRouter().params
  const productId = idParam(params.id)
  const storeId = idParam(params.store_id)
  const [quantity, setQuantity] = useState(1)

  const load = useCallback(async (): Promise<DetailData> => {
    if (productId === null) throw new ApiError('product_not_found', '商品不存在', 0)
    const product = await findProduct(productId, storeId)
    if (!product) throw new ApiError('product_not_found', '商品不存在或已下架', 0)
    const lines = [{ product_id: product.id, quantity: 1 }]
    const preview = await previewOrder(product.kind === 'store' ? { channel: 'store', lines, store_id: storeId ?? undefined } : { channel: 'mall', lines })
    return { product, preview }
  }, [productId, storeId])
  const page = useSignedInLoad(load)

  // 转发 / 朋友圈: this product, with my invite
  const shared = page.state.kind === 'ready' ? page.state.data.product : null
  useInviteShare(
    () => ({
      title: shared ? `${shared.name} ${formatFen(shared.price_fen)}，购买可加入返利队列` : '商品详情',
      path: productId === null ? TAB.mall : routes.product(productId, storeId),
    }),
    page.state.kind === 'ready',
  )

  // 立即购买 opens 确认订单 (address, deduction, remark), which creates and pays the order
  const buyNow = useCallback(async (): Promise<void> => {
    if (page.state.kind !== 'ready') return
    const { product } = page.state.data
    await Taro.navigateTo({ url: routes.checkout(product.id, quantity, product.kind === 'store' ? product.store_id : null) })
  }, [page.state, quantity])

  return {
    ...page,
    quantity,
    setQuantity: (q) => setQuantity(Math.min(MAX_QUANTITY, Math.max(1, Math.floor(q) || 1))),
    buyNow,
  }
}

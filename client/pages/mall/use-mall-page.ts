import Taro, { usePullDownRefresh } from '@tarojs/taro'
import { useCallback } from 'react'
import { useSignedInLoad, type SignedInLoad } from '@/hooks/use-signed-in-load'
import { routes } from '@/lib/routes'
import { listProducts, type Product } from '@/services/catalog'

export interface MallPage extends SignedInLoad<Product[]> {
  openProduct: (product: Product) => void
  openOrders: () => void
  openStores: () => void
}

/** 商城: the listed mall products (self-operated, supplier, supply chain). */
export function useMallPage(): MallPage {
  const load = useCallback(() => listProducts(), [])
  const page = useSignedInLoad(load)
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  return {
    ...page,
    openProduct: (product) => void Taro.navigateTo({ url: routes.product(product.id) }),
    openOrders: () => void Taro.navigateTo({ url: routes.orders() }),
    openStores: () => void Taro.navigateTo({ url: routes.stores() }),
  }
}

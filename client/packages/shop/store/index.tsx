import { Text, View } from '@tarojs/components'
import Taro, { usePullDownRefresh, useRouter } from '@tarojs/taro'
import { useCallback } from 'react'
import { Button } from '@/components/nut/button'
import { Tag } from '@/components/nut/tag'
import PageState, { EmptyState } from '@/components/PageState'
import { useSignedInLoad } from '@/hooks/use-signed-in-load'
import { formatFen } from '@/lib/money'
import { buildScene } from '@/lib/scene'
import { idParam, routes } from '@/lib/routes'
import { listProducts, listStores, type Product, type Store } from '@/services/catalog'
import { ApiError } from '@/services/errors'
import './index.scss'
import ProductPicture from '@/components/ProductPicture'

interface StoreData {
  store: Store
  products: Product[]
}

/** One store (?id=): its online products, bought through 确认订单 (store queue rules); 到店买单. */
export default function StorePageView() {
  const storeId = idParam(useRouter().params.id)
  const load = useCallback(async (): Promise<StoreData> => {
    if (storeId === null) throw new ApiError('store_not_found', '门店不存在', 0)
    const [stores, products] = await Promise.all([listStores(), listProducts(storeId)])
    const store = stores.find((s) => s.id === storeId)
    if (!store) throw new ApiError('store_not_found', '门店不存在或暂未开通', 0)
    return { store, products }
  }, [storeId])
  const page = useSignedInLoad(load)
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  return (
    <View className='shop-store-page' data-testid='store-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {({ store, products }: StoreData) => (
          <View>
            <View className='shop-store-page__head'>
              <Text className='shop-store-page__title' data-testid='store-title'>{store.name}</Text>
              {store.cashier_code && (
                <Button
                  size='small'
                  data-testid='store-pay'
                  onClick={() => void Taro.navigateTo({ url: routes.cashier(buildScene('cashier', store.cashier_code as string)) })}
                >
                  到店买单
                </Button>
              )}
            </View>
            {products.length === 0 ? (
              <EmptyState title='该门店暂无线上商品' />
            ) : (
              <View className='shop-store-page__grid'>
                {products.map((p) => (
                  <View
                    key={p.id}
                    className='shop-store-page__product'
                    data-testid='store-product'
                    onClick={() => void Taro.navigateTo({ url: routes.product(p.id, store.id) })}
                  >
                    <ProductPicture className='shop-store-page__cover' name={p.name} image={p.image_path} />
                    <Text className='shop-store-page__name'>{p.name}</Text>
                    {p.rebate_enabled && <Tag type='danger'>排队返利</Tag>}
                    <Text className='shop-store-page__price'>{formatFen(p.price_fen)}</Text>
                  </View>
                ))}
              </View>
            )}
          </View>
        )}
      </PageState>
    </View>
  )
}

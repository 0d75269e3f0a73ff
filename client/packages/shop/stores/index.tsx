import { Text, View } from '@tarojs/components'
import Taro, { usePullDownRefresh } from '@tarojs/taro'
import { useCallback } from 'react'
import PageState, { EmptyState } from '@/components/PageState'
import { useSignedInLoad } from '@/hooks/use-signed-in-load'
import { routes } from '@/lib/routes'
import { listStores, type Store } from '@/services/catalog'
import '../store/index.scss'

/** 门店: the approved stores; tap one for its online products (bought through 确认订单). */
export default function StoresPageView() {
  const load = useCallback(() => listStores(), [])
  const page = useSignedInLoad(load)
  usePullDownRefresh(() => {
    void page.reload().finally(() => Taro.stopPullDownRefresh())
  })
  return (
    <View className='shop-store-page' data-testid='stores-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(stores: Store[]) =>
          stores.length === 0 ? (
            <EmptyState title='暂无门店' />
          ) : (
            <View className='shop-store-page__list'>
              {stores.map((s) => (
                <View
                  key={s.id}
                  className='shop-store-page__store'
                  data-testid='store-card'
                  onClick={() => void Taro.navigateTo({ url: routes.store(s.id) })}
                >
                  <View className='shop-store-page__logo'>
                    <Text>{s.name.slice(0, 1)}</Text>
                  </View>
                  <View className='shop-store-page__grow'>
                    <Text className='shop-store-page__name'>{s.name}</Text>
                    <Text className='shop-store-page__muted'>{s.cashier_code ? '支持线上购买和到店买单' : '支持线上购买'}</Text>
                  </View>
                  <Text className='shop-store-page__muted'>进店 ›</Text>
                </View>
              ))}
            </View>
          )
        }
      </PageState>
    </View>
  )
}

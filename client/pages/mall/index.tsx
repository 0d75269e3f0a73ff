import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Tag } from '@/components/nut/tag'
import PageState, { EmptyState } from '@/components/PageState'
import { formatFen } from '@/lib/money'
import { PRODUCT_KIND_LABELS, type Product } from '@/services/catalog'
import { useMallPage, type MallPage } from './use-mall-page'
import './index.scss'
import ProductPicture from '@/components/ProductPicture'

/** 商城: products, whether each earns a queue rebate; tap for details and buying. */
export default function Mall() {
  const page = useMallPage()
  return (
    <View className='mall-page' data-testid='mall-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(products) => <Products page={page} products={products} />}
      </PageState>
    </View>
  )
}

function Products({ page, products }: { page: MallPage; products: Product[] }) {
  return (
    <View>
      <View className='mall-page__bar'>
        <Text className='mall-page__bar-title'>全部商品</Text>
        <View className='mall-page__actions'>
          <Button size='small' fill='outline' data-testid='open-stores' onClick={page.openStores}>
            逛门店
          </Button>
          <Button size='small' fill='outline' data-testid='my-orders' onClick={page.openOrders}>
            我的订单
          </Button>
        </View>
      </View>
      {products.length === 0 ? (
        <EmptyState title='暂无商品' description='商品上架后会显示在这里' />
      ) : (
        <View className='mall-page__grid' data-testid='product-list'>
          {products.map((product) => (
            <View
              key={product.id}
              className='mall-page__product'
              data-testid='product-card'
              data-product-id={String(product.id)}
              onClick={() => page.openProduct(product)}
            >
              <ProductPicture className='mall-page__cover' name={product.name} image={product.image_path} />
              <Text className='mall-page__name'>{product.name}</Text>
              <View className='mall-page__tags'>
                <Tag plain type='default'>
                  {PRODUCT_KIND_LABELS[product.kind]}
                </Tag>
                {product.rebate_enabled && (
                  <Tag type='danger'>
                    <Text data-testid='rebate-tag'>排队返利</Text>
                  </Tag>
                )}
              </View>
              <Text className='mall-page__price' data-testid='product-price'>
                {formatFen(product.price_fen)}
              </Text>
            </View>
          ))}
        </View>
      )}
    </View>
  )
}

import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { InputNumber } from '@/components/nut/input-number'
import { Tag } from '@/components/nut/tag'
import PageState from '@/components/PageState'
import { bpsOf, formatBps, formatFen } from '@/lib/money'
import { PRODUCT_KIND_LABELS } from '@/services/catalog'
import { noEntryReasonText } from '@/services/orders'
import { MAX_QUANTITY, useDetailPage, type DetailData, type DetailPage } from './use-detail-page'
import './index.scss'
import ProductPicture from '@/components/ProductPicture'

/** 商品详情 */
export default function ProductDetail() {
  const page = useDetailPage()
  return (
    <View className='detail-page' data-testid='detail-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Detail page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Detail({ page, data }: { page: DetailPage; data: DetailData }) {
  const { product, preview } = data
  const total = BigInt(product.price_fen) * BigInt(page.quantity)
  const line = preview?.lines[0]
  return (
    <View>
      <ProductPicture className='detail-page__cover' name={product.name} image={product.image_path} />
      <View className='detail-page__card'>
        <Text className='detail-page__price' data-testid='detail-price'>
          {formatFen(product.price_fen)}
        </Text>
        <Text className='detail-page__name' data-testid='detail-name'>
          {product.name}
        </Text>
        <View className='detail-page__tags'>
          <Tag plain>{PRODUCT_KIND_LABELS[product.kind]}</Tag>
        </View>
      </View>

      <View className='detail-page__card' data-testid='rebate-info'>
        <Text className='detail-page__label'>排队返利</Text>
        {!product.rebate_enabled || (line && !line.earns) ? (
          <Text className='detail-page__muted' data-testid='rebate-off'>
            {line && !line.earns ? noEntryReasonText(line.no_entry_reason) : '该商品不参与排队返利'}
          </Text>
        ) : line && line.reward_bps !== null ? (
          <>
            <Text className='detail-page__accent' data-testid='rebate-ratio'>
              奖励比例 {formatBps(line.reward_bps)}（{line.reward_rule_label}）
            </Text>
            <Text data-testid='rebate-entitlement'>
              购买 {page.quantity} 件预计获得待返权益 {formatFen(bpsOf(total, line.reward_bps))}
            </Text>
            {line.lottery && <Text className='detail-page__muted'>支付后可参与抽奖，抽中的比例将替换当前比例</Text>}
          </>
        ) : (
          <Text data-testid='rebate-on'>支付后加入排队，后续订单按顺序为你返利</Text>
        )}
      </View>

      <View className='detail-page__card detail-page__row'>
        <Text className='detail-page__label'>数量</Text>
        <InputNumber
          value={page.quantity}
          min={1}
          max={MAX_QUANTITY}
          data-testid='quantity'
          onChange={(value) => page.setQuantity(Number(value))}
        />
      </View>

      <View className='detail-page__bar'>
        <Text className='detail-page__total'>
          合计 <Text data-testid='detail-total'>{formatFen(total)}</Text>
        </Text>
        <Button type='primary' data-testid='buy-now' onClick={() => void page.buyNow()}>
          立即购买
        </Button>
      </View>
    </View>
  )
}

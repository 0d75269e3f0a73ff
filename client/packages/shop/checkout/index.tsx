import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Input } from '@/components/nut/input'
import { InputNumber } from '@/components/nut/input-number'
import { Switch } from '@/components/nut/switch'
import { TextArea } from '@/components/nut/text-area'
import PageState from '@/components/PageState'
import { maskPhone, type AddressFields } from '@/lib/checkout'
import { formatBps, formatFen, formatLove, formatPoints } from '@/lib/money'
import { isWeapp } from '@/services/env'
import { noEntryReasonText, type OrderPreview } from '@/services/orders'
import { MAX_QUANTITY, useCheckoutPage, type CheckoutData, type CheckoutPage } from './use-checkout-page'
import './index.scss'
import ProductPicture from '@/components/ProductPicture'

/** 确认订单 */
export default function CheckoutPageView() {
  const page = useCheckoutPage()
  return (
    <View className='checkout-page' data-testid='checkout-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Checkout page={page} data={data} />}
      </PageState>
    </View>
  )
}

const FIELDS: ReadonlyArray<{ key: keyof AddressFields; label: string; placeholder: string; max: number }> = [
  { key: 'name', label: '收货人', placeholder: '姓名', max: 20 },
  { key: 'phone', label: '手机号', placeholder: '联系电话', max: 20 },
  { key: 'region', label: '所在地区', placeholder: '省 市 区', max: 60 },
  { key: 'detail', label: '详细地址', placeholder: '街道、门牌号', max: 120 },
]

function Checkout({ page, data }: { page: CheckoutPage; data: CheckoutData }) {
  const { product, wallet } = data
  const p = page.preview.kind === 'ready' ? page.preview.preview : null
  const busy = page.submit.kind === 'creating' || page.submit.kind === 'paying'
  return (
    <View>
      <AddressCard page={page} />

      <View className='checkout-page__card' data-testid='checkout-product'>
        <View className='checkout-page__row'>
          <ProductPicture className='checkout-page__thumb' name={product.name} image={product.image_path} />
          <View className='checkout-page__grow'>
            <Text className='checkout-page__name'>{product.name}</Text>
            <Text className='checkout-page__price'>{formatFen(product.price_fen)}</Text>
          </View>
        </View>
        <View className='checkout-page__row checkout-page__between'>
          <Text className='checkout-page__label'>数量</Text>
          <InputNumber value={page.quantity} min={1} max={MAX_QUANTITY} data-testid='checkout-quantity' onChange={(v) => page.setQuantity(Number(v))} />
        </View>
      </View>

      <View className='checkout-page__card'>
        <View className='checkout-page__row checkout-page__between'>
          <View className='checkout-page__grow'>
            <Text className='checkout-page__label'>积分抵扣</Text>
            <Text className='checkout-page__muted' data-testid='points-available'>
              可用 {formatPoints(wallet.points)} 积分{p && p.points_deduct_fen > 0 ? `，本单使用 ${formatPoints(p.points_deduct_fen)} 积分` : ''}
            </Text>
          </View>
          <Switch checked={page.usePoints} disabled={Number(wallet.points) <= 0} data-testid='use-points' onChange={(v) => page.setUsePoints(Boolean(v))} />
        </View>
        <View className='checkout-page__row checkout-page__between'>
          <View className='checkout-page__grow'>
            <Text className='checkout-page__label'>爱心值抵扣</Text>
            <Text className='checkout-page__muted' data-testid='love-available'>
              可用 {formatLove(wallet.love_fen)} 爱心值{p && p.love_deduct_fen > 0 ? `，本单使用 ${formatLove(p.love_deduct_fen)}` : ''}
            </Text>
          </View>
          <Switch checked={page.useLove} disabled={Number(wallet.love_fen) <= 0} data-testid='use-love' onChange={(v) => page.setUseLove(Boolean(v))} />
        </View>
      </View>

      {p && <RebateCard preview={p} deducting={p.points_deduct_fen > 0 || p.love_deduct_fen > 0} />}

      <View className='checkout-page__card'>
        <Text className='checkout-page__label'>订单备注</Text>
        <TextArea
          value={page.remark}
          placeholder='选填，最多 100 个字'
          maxLength={100}
          showCount
          data-testid='checkout-remark'
          onChange={(v) => page.setRemark(String(v))}
        />
      </View>

      <View className='checkout-page__card' data-testid='checkout-summary'>
        <Line label='商品金额' value={p ? formatFen(p.goods_fen) : '—'} testId='sum-goods' />
        {p && p.points_deduct_fen > 0 && <Line label='积分抵扣' value={`-${formatFen(p.points_deduct_fen)}`} testId='sum-points' />}
        {p && p.love_deduct_fen > 0 && <Line label='爱心值抵扣' value={`-${formatFen(p.love_deduct_fen)}`} testId='sum-love' />}
        <Line label='实付' value={p ? formatFen(p.pay_fen) : '—'} testId='sum-pay' strong />
      </View>

      {page.preview.kind === 'failed' && (
        <Text className='checkout-page__error' data-testid='preview-error'>
          {page.preview.message}
        </Text>
      )}
      {page.submit.kind === 'failed' && (
        <Text className='checkout-page__error' data-testid='checkout-error'>
          {page.submit.message}
        </Text>
      )}
      <View className='checkout-page__bar'>
        <View className='checkout-page__grow'>
          <Text>
            实付 <Text className='checkout-page__total' data-testid='checkout-total'>{p ? formatFen(p.pay_fen) : '—'}</Text>
          </Text>
          {page.blocked && page.blocked !== '正在计算' && (
            <Text className='checkout-page__muted' data-testid='checkout-blocked'>
              {page.blocked}
            </Text>
          )}
        </View>
        <Button type='primary' loading={busy} disabled={page.blocked !== null} data-testid='place-order' onClick={() => void page.placeOrder()}>
          {page.submit.kind === 'paying' ? '支付中…' : '提交订单'}
        </Button>
      </View>
    </View>
  )
}

function AddressCard({ page }: { page: CheckoutPage }) {
  if (page.editingAddress) {
    return (
      <View key='address-form' className='checkout-page__card' data-testid='address-form'>
        <Text className='checkout-page__label'>收货地址</Text>
        {FIELDS.map((f) => (
          <View key={f.key} className='checkout-page__field'>
            <Text className='checkout-page__field-label'>{f.label}</Text>
            <Input
              className='checkout-page__grow'
              value={page.draft[f.key]}
              placeholder={f.placeholder}
              maxLength={f.max}
              type={f.key === 'phone' ? 'tel' : 'text'}
              data-testid={`address-${f.key}`}
              onChange={(v) => page.setDraft(f.key, String(v))}
            />
          </View>
        ))}
        {page.draftProblem && (
          <Text className='checkout-page__muted' data-testid='address-problem'>
            {page.draftProblem}
          </Text>
        )}
        <Button
          type='primary'
          block
          data-testid='address-save'
          onClick={(e) => {
            // the card that replaces this form must not take the same tap
            e.stopPropagation()
            page.saveAddress()
          }}
        >
          保存地址
        </Button>
      </View>
    )
  }
  const a = page.address
  return (
    <View key='address-card' className='checkout-page__card checkout-page__address' data-testid='address-card' onClick={page.editAddress}>
      {a ? (
        <View className='checkout-page__grow'>
          <Text className='checkout-page__name' data-testid='address-who'>
            {a.name} {maskPhone(a.phone)}
          </Text>
          <Text className='checkout-page__muted' data-testid='address-where'>
            {a.region} {a.detail}
          </Text>
        </View>
      ) : (
        <Text className='checkout-page__grow checkout-page__accent' data-testid='address-empty'>
          {page.needsAddress ? '请添加收货地址' : '添加收货地址（选填，门店配送时使用）'}
        </Text>
      )}
      <Text className='checkout-page__link'>{isWeapp ? '选择 ›' : a ? '修改 ›' : '填写 ›'}</Text>
    </View>
  )
}

/**
 * What paying gives: each line's ratio and 待返权益, or why it joins no queue. In union mode
 * (工会排队, SPEC §13) a line's rule is 'union_quota': its 分红额度 at the union quota ratio, no
 * lottery and no ratio chain.
 */
function RebateCard({ preview, deducting }: { preview: OrderPreview; deducting: boolean }) {
  const union = preview.lines.some((l) => l.reward_rule_code === 'union_quota')
  const benefit = union ? '分红额度' : '待返权益'
  return (
    <View className='checkout-page__card' data-testid='checkout-rebate'>
      <Text className='checkout-page__label'>{union ? '工会排队' : '排队返利'}</Text>
      {preview.lines.map((l) =>
        l.earns && l.reward_bps !== null ? (
          <Text key={l.line_no} data-testid='checkout-entitlement'>
            {l.reward_rule_code === 'union_quota'
              ? `分红额度比例 ${formatBps(l.reward_bps)}，支付后加入工会排队，获得分红额度 ${formatFen(l.entitlement_fen)}`
              : `奖励比例 ${formatBps(l.reward_bps)}（${l.reward_rule_label ?? ''}），支付后获得待返权益 ${formatFen(l.entitlement_fen)}${l.lottery ? '，可参与抽奖' : ''}`}
          </Text>
        ) : (
          <Text key={l.line_no} className='checkout-page__muted' data-testid='checkout-no-entry'>
            {noEntryReasonText(l.no_entry_reason)}
            {l.no_entry_reason === 'deduction_excluded' ? `：关闭抵扣后可获得${benefit}` : ''}
          </Text>
        ),
      )}
      {union && (
        <Text className='checkout-page__muted' data-testid='checkout-union-note'>
          工会排队每日以分红池按排队顺序返满额度，不设抽奖与奖励比例规则
        </Text>
      )}
      {deducting && preview.lines.every((l) => l.earns) && (
        <Text className='checkout-page__muted'>使用抵扣的订单按实付金额计算{benefit}</Text>
      )}
    </View>
  )
}

function Line({ label, value, testId, strong }: { label: string; value: string; testId: string; strong?: boolean }) {
  return (
    <View className={`checkout-page__line ${strong ? 'checkout-page__line--strong' : ''}`}>
      <Text>{label}</Text>
      <Text data-testid={testId}>{value}</Text>
    </View>
  )
}

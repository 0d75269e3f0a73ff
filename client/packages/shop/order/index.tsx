import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { ResultPage } from '@/components/nut/result-page'
import { Tag } from '@/components/nut/tag'
import PageState from '@/components/PageState'
import { maskPhone } from '@/lib/checkout'
import { formatBps, formatFen } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { CHANNEL_LABELS, noEntryReasonText, type Order, type OrderLine } from '@/services/orders'
import { useOrderPage, type OrderPage } from './use-order-page'
import './index.scss'

/** 订单详情 (also the payment result page). */
export default function OrderPageView() {
  const page = useOrderPage()
  return (
    <View className='order-page' data-testid='order-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(order) => <OrderBody page={page} order={order} />}
      </PageState>
    </View>
  )
}

function OrderBody({ page, order }: { page: OrderPage; order: Order }) {
  const paid = order.status === 'paid' || order.status === 'completed'
  const joined = order.lines.filter((l) => l.entry_id !== null)
  const busy = page.action.kind === 'busy'
  return (
    <View>
      {page.justPaid && paid && (
        <View className='order-page__card' data-testid='pay-success'>
          <ResultPage
            status='success'
            title='支付成功'
            description={joined.length > 0 ? `已加入排队，待返权益 ${formatFen(sumEntitlement(joined))}` : '订单已支付'}
          />
        </View>
      )}
      <View className='order-page__card'>
        <View className='order-page__row'>
          <Text className='order-page__title'>
            {CHANNEL_LABELS[order.channel]}
            {order.store_name ? ` · ${order.store_name}` : ''}
          </Text>
          <Tag type={paid ? 'success' : order.status === 'pending' ? 'warning' : 'default'}>
            <Text data-testid='order-status'>{order.status_label}</Text>
          </Tag>
        </View>
        <Text className='order-page__small' data-testid='order-no'>
          订单号 {order.order_no}
        </Text>
        <Text className='order-page__small'>下单时间 {formatDateTime(order.created_at)}</Text>
        {order.paid_at && <Text className='order-page__small'>支付时间 {formatDateTime(order.paid_at)}</Text>}
      </View>

      {(order.delivery_name || order.remark) && (
        <View className='order-page__card'>
          {order.delivery_name && (
            <View className='order-page__delivery' data-testid='order-delivery'>
              <Text className='order-page__title'>
                {order.delivery_name} {maskPhone(order.delivery_phone ?? '')}
              </Text>
              <Text className='order-page__small'>
                {order.delivery_region} {order.delivery_address}
              </Text>
            </View>
          )}
          {order.remark && (
            <Text className='order-page__small'>
              备注：<Text data-testid='order-remark'>{order.remark}</Text>
            </Text>
          )}
        </View>
      )}

      <View className='order-page__card'>
        {order.lines.map((line) => (
          <Line key={line.line_no} line={line} />
        ))}
        <View className='order-page__sum'>
          {Number(order.points_deduct_fen) > 0 && <Text className='order-page__small'>积分抵扣 -{formatFen(order.points_deduct_fen)}</Text>}
          {Number(order.love_deduct_fen) > 0 && <Text className='order-page__small'>爱心值抵扣 -{formatFen(order.love_deduct_fen)}</Text>}
          <Text className='order-page__pay'>
            实付 <Text data-testid='order-pay'>{formatFen(order.pay_fen)}</Text>
          </Text>
        </View>
      </View>

      {page.action.kind === 'failed' && (
        <Text className='order-page__error' data-testid='order-error'>
          {page.action.message}
        </Text>
      )}
      <View className='order-page__actions'>
        {order.status === 'pending' && (
          <>
            <Button type='primary' block loading={busy && page.action.kind === 'busy' && page.action.what === 'pay'} data-testid='pay-order' onClick={() => void page.pay()}>
              去支付 {formatFen(order.pay_fen)}
            </Button>
            <Button block disabled={busy} data-testid='cancel-order' onClick={() => void page.cancel()}>
              取消订单
            </Button>
          </>
        )}
        {(paid || order.status === 'refunded') && (
          <Button block data-testid='open-refund' onClick={page.openRefund}>
            {paid && order.lines.some((l) => !l.refunded) ? '申请退款 / 退款进度' : '退款进度'}
          </Button>
        )}
        {joined.length > 0 && (
          <Button type='primary' fill='outline' block data-testid='open-queue' onClick={page.openQueue}>
            查看排队进度
          </Button>
        )}
      </View>
    </View>
  )
}

function sumEntitlement(lines: OrderLine[]): bigint {
  return lines.reduce((sum, l) => sum + BigInt(l.entitlement_fen), 0n)
}

function Line({ line }: { line: OrderLine }) {
  return (
    <View className='order-page__line' data-testid='order-line'>
      <View className='order-page__row'>
        <Text className='order-page__name'>{line.name}</Text>
        <Text>{formatFen(line.amount_fen)}</Text>
      </View>
      <Text className='order-page__small'>
        {formatFen(line.unit_price_fen)} × {line.quantity}
      </Text>
      {line.entry_id !== null ? (
        <Text className='order-page__accent' data-testid='line-entry'>
          已加入排队 · 待返权益 {formatFen(line.entitlement_fen)}
          {line.reward_bps !== null ? ` · 奖励比例 ${formatBps(line.reward_bps)}（${line.reward_rule_label ?? ''}）` : ''}
        </Text>
      ) : line.joined ? (
        <Text className='order-page__small' data-testid='line-no-entry'>
          {noEntryReasonText(line.no_entry_reason)}
        </Text>
      ) : null}
    </View>
  )
}

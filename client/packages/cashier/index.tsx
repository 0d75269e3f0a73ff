import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Cell } from '@/components/nut/cell'
import { NumberKeyboard } from '@/components/nut/number-keyboard'
import { ResultPage } from '@/components/nut/result-page'
import PageState, { EmptyState } from '@/components/PageState'
import { amountDisplay } from '@/lib/amount-input'
import { formatBps, formatFen } from '@/lib/money'
import { useCashierPage, type CashierData, type CashierPage } from './use-cashier-page'
import './index.scss'

/** 收银台买单 */
export default function CashierPageView() {
  const page = useCashierPage()
  return (
    <View className='cashier-page' data-testid='cashier-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Cashier page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Cashier({ page, data }: { page: CashierPage; data: CashierData }) {
  const { store } = page
  if (!store) return <ChooseStore page={page} data={data} />
  if (page.pay.kind === 'done') return <Paid page={page} />
  const paying = page.pay.kind === 'paying'
  return (
    <View>
      <View className='cashier-page__store'>
        <Text className='cashier-page__store-name' data-testid='cashier-store'>
          {store.name}
        </Text>
        <Text className='cashier-page__store-code'>收银台 {store.cashier_code}</Text>
      </View>
      <View className='cashier-page__card' onClick={() => page.showKeyboard(true)}>
        <Text className='cashier-page__label'>买单金额</Text>
        <View className='cashier-page__amount'>
          <Text className='cashier-page__yen'>¥</Text>
          <Text className={`cashier-page__digits${page.amountText === '' ? ' cashier-page__digits--empty' : ''}`} data-testid='cashier-amount'>
            {amountDisplay(page.amountText)}
          </Text>
        </View>
        <View className='cashier-page__preview' data-testid='cashier-preview'>
          {page.preview ? (
            <>
              <Text className='cashier-page__accent' data-testid='cashier-entitlement'>
                {page.preview.confirmed ? '' : '约 '}预计获得待返权益 {formatFen(page.preview.entitlementFen)}
              </Text>
              <Text className='cashier-page__small'>
                奖励比例 {formatBps(page.preview.rewardBps)}
                {page.preview.ruleLabel ? `（${page.preview.ruleLabel}）` : ''}
                {page.preview.lottery ? '，支付后可抽奖' : ''}
              </Text>
            </>
          ) : (
            <Text className='cashier-page__small'>
              {page.amountFen === null ? '输入金额后显示可获得的待返权益' : '支付后加入收银台排队，按规则获得待返权益'}
            </Text>
          )}
        </View>
      </View>
      {page.pay.kind === 'failed' && (
        <Text className='cashier-page__error' data-testid='cashier-error'>
          {page.pay.message}
        </Text>
      )}
      <View className='cashier-page__pad'>
        <Button type='primary' block disabled={page.amountFen === null} loading={paying} data-testid='cashier-pay' onClick={() => void page.submit()}>
          {page.amountFen === null ? '请输入金额' : `确认买单 ${formatFen(page.amountFen)}`}
        </Button>
      </View>
      <NumberKeyboard
        visible={page.keyboard && !paying}
        type='rightColumn'
        custom={['.', '00']}
        confirmText='买单'
        overlay={false}
        onChange={page.press}
        onDelete={page.backspace}
        onClose={() => page.showKeyboard(false)}
        onConfirm={() => void page.submit()}
      />
    </View>
  )
}

function ChooseStore({ page, data }: { page: CashierPage; data: CashierData }) {
  return (
    <View>
      <View className='cashier-page__card'>
        <Text className='cashier-page__label'>扫描门店收银台二维码买单</Text>
        {page.canScan ? (
          <Button type='primary' block data-testid='cashier-scan' onClick={() => void page.scan()}>
            扫一扫
          </Button>
        ) : (
          <Text className='cashier-page__small'>也可以在下方选择门店</Text>
        )}
      </View>
      {data.stores.length === 0 ? (
        <EmptyState title='暂无开通买单的门店' />
      ) : (
        <Cell.Group title='选择门店'>
          {data.stores
            .filter((s) => s.cashier_code !== null)
            .map((s) => (
              <Cell
                key={s.id}
                title={<Text data-testid='store-option'>{s.name}</Text>}
                description={`收银台 ${s.cashier_code}`}
                clickable
                extra='›'
                onClick={() => page.chooseStore(s)}
              />
            ))}
        </Cell.Group>
      )}
    </View>
  )
}

function Paid({ page }: { page: CashierPage }) {
  if (page.pay.kind !== 'done') return null
  const { order } = page.pay
  const line = order.lines[0]
  return (
    <View className='cashier-page__card' data-testid='cashier-done'>
      <ResultPage status='success' title='买单成功' description={`实付 ${formatFen(order.pay_fen)}`} />
      {line && line.entry_id !== null ? (
        <Text className='cashier-page__accent' data-testid='cashier-entry'>
          已加入排队 · 待返权益 {formatFen(line.entitlement_fen)}
          {line.reward_bps !== null ? `（奖励比例 ${formatBps(line.reward_bps)}）` : ''}
        </Text>
      ) : (
        <Text className='cashier-page__small' data-testid='cashier-no-entry'>
          本次买单未获得排队名额
        </Text>
      )}
      <Button type='primary' block data-testid='open-queue' onClick={page.openQueue}>
        查看排队进度
      </Button>
      <Button block data-testid='open-order' onClick={page.openOrder}>
        查看订单
      </Button>
      <Button block fill='none' data-testid='pay-again' onClick={page.again}>
        继续买单
      </Button>
    </View>
  )
}

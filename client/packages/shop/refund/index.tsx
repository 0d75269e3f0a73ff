import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { TextArea } from '@/components/nut/text-area'
import PageState from '@/components/PageState'
import { formatFen, formatLove, formatPoints } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { REFUND_REASONS, type RefundRequest } from '@/services/refunds'
import { useRefundPage, type RefundData, type RefundPage } from './use-refund-page'
import './index.scss'

/** 申请退款 */
export default function RefundPageView() {
  const page = useRefundPage()
  return (
    <View className='refund-page' data-testid='refund-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Refund page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Refund({ page, data }: { page: RefundPage; data: RefundData }) {
  const canRequest = data.lines.some((l) => l.refundable)
  return (
    <View>
      {data.requests.length > 0 && (
        <View className='refund-page__card' data-testid='refund-requests'>
          <Text className='refund-page__label'>退款申请</Text>
          {data.requests.map((r) => (
            <RequestRow key={r.request_id} r={r} onWithdraw={() => void page.withdraw(r.request_id)} />
          ))}
        </View>
      )}

      {canRequest && (
        <>
          <View className='refund-page__card'>
            <Text className='refund-page__label'>选择退款商品</Text>
            {data.lines.map((l) => {
              const on = page.selected.includes(l.line_no)
              return (
                <View
                  key={l.line_no}
                  className={`refund-page__line ${l.refundable ? '' : 'refund-page__line--off'}`}
                  data-testid='refund-line'
                  data-on={on ? '1' : '0'}
                  onClick={() => l.refundable && page.toggle(l.line_no)}
                >
                  <Text className={`refund-page__check ${on ? 'refund-page__check--on' : ''}`}>{on ? '✓' : ''}</Text>
                  <View className='refund-page__grow'>
                    <Text>
                      {l.name} ×{l.quantity}
                    </Text>
                    <Text className='refund-page__small'>
                      实付 {formatFen(l.pay_fen)}
                      {Number(l.received_fen) > 0 ? ` · 已返 ${formatFen(l.received_fen)}（从退款中扣除）` : ''}
                      {l.reason ? ` · ${l.reason}` : ''}
                    </Text>
                  </View>
                  <Text className='refund-page__amount' data-testid='refund-line-amount'>
                    {formatFen(l.refundable_fen)}
                  </Text>
                </View>
              )
            })}
          </View>

          <View className='refund-page__card'>
            <Text className='refund-page__label'>退款原因</Text>
            <View className='refund-page__chips'>
              {REFUND_REASONS.map((r) => (
                <Text
                  key={r}
                  className={`refund-page__chip ${page.reason === r ? 'refund-page__chip--on' : ''}`}
                  data-testid='refund-reason'
                  onClick={() => page.setReason(r)}
                >
                  {r}
                </Text>
              ))}
            </View>
            <Text className='refund-page__label'>补充说明（选填）</Text>
            <TextArea
              value={page.detail}
              placeholder='最多 150 个字'
              maxLength={150}
              data-testid='refund-detail'
              onChange={(v) => page.setDetail(String(v))}
            />
          </View>

          <View className='refund-page__card' data-testid='refund-summary'>
            <View className='refund-page__sum'>
              <Text>预计退款</Text>
              <Text className='refund-page__total' data-testid='refund-total'>
                {formatFen(page.totalFen)}
              </Text>
            </View>
            {page.pointsFen > 0n && <Text className='refund-page__small'>退回 {formatPoints(page.pointsFen)} 积分</Text>}
            {page.loveFen > 0n && <Text className='refund-page__small'>退回 {formatLove(page.loveFen)} 爱心值</Text>}
            <Text className='refund-page__small'>
              按退款规则：该商品已获得的返现会从退款中扣除，其排队名额将失效；审核通过后原路退回。
            </Text>
          </View>
          {(page.submit.kind === 'failed' || (page.problem && page.reason !== '')) && (
            <Text className='refund-page__error' data-testid='refund-error'>
              {page.submit.kind === 'failed' ? page.submit.message : page.problem}
            </Text>
          )}
          <View className='refund-page__pad'>
            <Button
              type='primary'
              block
              disabled={page.problem !== null}
              loading={page.submit.kind === 'busy'}
              data-testid='refund-submit'
              onClick={() => void page.send()}
            >
              提交退款申请
            </Button>
          </View>
        </>
      )}
      {!canRequest && data.requests.length === 0 && (
        <View className='refund-page__card'>
          <Text data-testid='refund-none'>{data.lines[0]?.reason ?? '该订单没有可退款的商品'}</Text>
        </View>
      )}
    </View>
  )
}

function RequestRow({ r, onWithdraw }: { r: RefundRequest; onWithdraw: () => void }) {
  return (
    <View className='refund-page__request' data-testid='refund-request' data-status={r.status}>
      <View className='refund-page__sum'>
        <Text>
          退款 {formatFen(r.refundable_fen)}（{r.line_nos.length} 件商品）
        </Text>
        <Text className={`refund-page__status refund-page__status--${r.status}`} data-testid='refund-status'>
          {r.status_label}
        </Text>
      </View>
      <Text className='refund-page__small'>
        {formatDateTime(r.requested_at)} · 原因：{r.reason}
      </Text>
      {r.status === 'rejected' && r.reject_reason && <Text className='refund-page__error'>驳回原因：{r.reject_reason}</Text>}
      {r.status === 'pending' && (
        <Button size='small' data-testid='refund-withdraw' onClick={onWithdraw}>
          撤销申请
        </Button>
      )}
    </View>
  )
}

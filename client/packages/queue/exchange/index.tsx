import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Dialog } from '@/components/nut/dialog'
import { Radio } from '@/components/nut/radio'
import { ResultPage } from '@/components/nut/result-page'
import PageState from '@/components/PageState'
import { formatBps, formatFen, formatLove, formatPoints } from '@/lib/money'
import { TARGET_LABELS, type ExchangePreview, type ExchangeTarget } from '@/services/exchange'
import { useExchangePage, type ExchangeData, type ExchangePage } from './use-exchange-page'
import './index.scss'

/** 兑换: turn a waiting entry (classic, or a union entry's remaining quota) into points or love value; it then leaves the queue. */
export default function ExchangePageView() {
  const page = useExchangePage()
  return (
    <View className='exchange-page' data-testid='exchange-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Exchange page={page} data={data} />}
      </PageState>
    </View>
  )
}

function amountText(preview: Pick<ExchangePreview, 'target' | 'amount'>): string {
  return preview.target === 'points' ? `${formatPoints(preview.amount)} 积分` : `${formatLove(preview.amount)} 爱心值`
}

function Exchange({ page, data }: { page: ExchangePage; data: ExchangeData }) {
  const { entry, display } = data
  const name = display.exchange_name
  const benefit = data.union ? '分红额度' : '总权益'
  const remainingWord = data.union ? '待返额度' : '待返权益'
  const { submit, preview } = page

  if (submit.kind === 'done') {
    const { result } = submit
    return (
      <View className='exchange-page__done' data-testid='exchange-done'>
        <ResultPage status='success' title={`${name}成功`} description={`获得 ${amountText(result)}${result.frozen ? '（冻结中）' : ''}`} />
        <Text className='exchange-page__note' data-testid='exchange-result'>
          该排队名额已{name}，已退出排队
        </Text>
        <Button type='primary' block data-testid='back-to-queue' onClick={page.backToQueue}>
          返回{display.display_name}
        </Button>
      </View>
    )
  }

  if (entry.status !== 'waiting' || entry.can_exchange === false) {
    return (
      <View className='exchange-page__card'>
        <Text className='exchange-page__note' data-testid='exchange-unavailable'>
          该排队名额当前状态为「{entry.status_label}」，不能{name}
        </Text>
        <Button block data-testid='back-to-queue' onClick={page.backToQueue}>
          返回{display.display_name}
        </Button>
      </View>
    )
  }

  return (
    <View>
      <View className='exchange-page__card'>
        <Text className='exchange-page__item'>{entry.item_name}</Text>
        <Text className='exchange-page__meta'>
          已返 {formatFen(entry.received_fen)} / {benefit} {formatFen(entry.total_fen)}
        </Text>
        <Text className='exchange-page__remaining'>
          可{name}的{remainingWord} <Text data-testid='exchange-remaining'>{formatFen(entry.remaining_fen)}</Text>
        </Text>
      </View>

      <View className='exchange-page__card'>
        <Text className='exchange-page__label'>{name}为</Text>
        <Radio.Group value={page.target ?? ''} direction='horizontal' onChange={(value) => page.choose(value as ExchangeTarget)}>
          {(['points', 'love'] as const).map((target) => (
            <Radio key={target} value={target}>
              <Text data-testid={`target-${target}`}>{TARGET_LABELS[target]}</Text>
            </Radio>
          ))}
        </Radio.Group>
        <View className='exchange-page__preview' data-testid='exchange-preview'>
          {preview.kind === 'none' && <Text className='exchange-page__meta'>请选择{name}为积分或爱心值</Text>}
          {preview.kind === 'loading' && <Text className='exchange-page__meta'>正在计算…</Text>}
          {preview.kind === 'error' && (
            <Text className='exchange-page__error' data-testid='preview-error'>
              {preview.message}
            </Text>
          )}
          {preview.kind === 'ready' && (
            <>
              <Text className='exchange-page__amount' data-testid='exchange-amount'>
                {amountText(preview.preview)}
              </Text>
              <Text className='exchange-page__meta'>
                {formatFen(preview.preview.remaining_fen)} × {name}比例 {formatBps(preview.preview.exchange_bps)}
                {preview.preview.frozen ? '，到账后冻结' : ''}
              </Text>
            </>
          )}
        </View>
      </View>

      {submit.kind === 'failed' && (
        <Text className='exchange-page__error exchange-page__pad' data-testid='exchange-error'>
          {submit.message}
        </Text>
      )}
      <View className='exchange-page__pad'>
        <Button
          type='primary'
          block
          disabled={preview.kind !== 'ready'}
          loading={submit.kind === 'submitting'}
          data-testid='exchange-submit'
          onClick={page.askConfirm}
        >
          确认{name}
        </Button>
        <Text className='exchange-page__meta'>{name}后该名额将退出排队，不再返现，且不可撤销。</Text>
      </View>

      <Dialog
        visible={submit.kind === 'confirming'}
        title={`确认${name}`}
        content={
          preview.kind === 'ready' ? (
            <Text data-testid='confirm-text'>
              将{remainingWord} {formatFen(preview.preview.remaining_fen)} {name}为 {amountText(preview.preview)}？{name}后不可撤销。
            </Text>
          ) : (
            ''
          )
        }
        confirmText={`确认${name}`}
        cancelText='再想想'
        onConfirm={() => void page.confirm()}
        onCancel={page.cancelConfirm}
        onClose={page.cancelConfirm}
      />
    </View>
  )
}

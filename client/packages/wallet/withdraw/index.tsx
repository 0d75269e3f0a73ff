import { Text, View } from '@tarojs/components'
import { getCurrentInstance } from '@tarojs/taro'
import LoadMore from '@/components/LoadMore'
import { Button } from '@/components/nut/button'
import { Dialog } from '@/components/nut/dialog'
import { Input } from '@/components/nut/input'
import PageState, { EmptyState } from '@/components/PageState'
import { formatBps, formatFen } from '@/lib/money'
import { formatDateTime } from '@/lib/time'
import { WITHDRAW_ASSET_LABELS, type Withdrawal, type WithdrawAsset } from '@/services/withdrawals'
import { useWithdrawPage, type WithdrawData, type WithdrawPage } from './use-withdraw-page'
import './index.scss'

const ASSETS: WithdrawAsset[] = ['cash', 'commission']

/** 提现 (?asset=cash|commission) */
export default function WithdrawPageView() {
  const asset = getCurrentInstance().router?.params.asset === 'commission' ? 'commission' : 'cash'
  const page = useWithdrawPage(asset)
  return (
    <View className='withdraw-page' data-testid='withdraw-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Withdraw page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Withdraw({ page, data }: { page: WithdrawPage; data: WithdrawData }) {
  const { info } = data
  const { preview, submit } = page
  const left = Math.max(0, info.daily_limit - info.today_count)
  return (
    <View>
      <View className='withdraw-page__card'>
        <View className='withdraw-page__assets'>
          {ASSETS.map((a) => (
            <View
              key={a}
              className={`withdraw-page__asset ${page.asset === a ? 'withdraw-page__asset--on' : ''}`}
              data-testid={`withdraw-asset-${a}`}
              onClick={() => page.setAsset(a)}
            >
              <Text className='withdraw-page__asset-label'>{WITHDRAW_ASSET_LABELS[a]}</Text>
              <Text className='withdraw-page__asset-value'>{formatFen(a === 'cash' ? info.cash_fen : info.commission_fen)}</Text>
            </View>
          ))}
        </View>
        <Text className='withdraw-page__label'>提现金额（元，最低 {formatFen(info.min_fen)}）</Text>
        <View className='withdraw-page__amount-row'>
          <Text className='withdraw-page__yuan'>¥</Text>
          <Input
            className='withdraw-page__amount'
            type='digit'
            value={page.amount}
            placeholder={`最低 ${formatFen(info.min_fen)}`}
            maxLength={12}
            data-testid='withdraw-amount'
            onChange={(v) => page.setAmount(String(v))}
          />
          <Text className='withdraw-page__all' data-testid='withdraw-all' onClick={page.fillAll}>
            全部提现
          </Text>
        </View>
        <View className='withdraw-page__preview' data-testid='withdraw-preview'>
          <View className='withdraw-page__line'>
            <Text>手续费（{formatBps(info.fee_bps)}）</Text>
            <Text data-testid='withdraw-fee'>{preview?.feeFen != null ? formatFen(preview.feeFen) : '—'}</Text>
          </View>
          <View className='withdraw-page__line withdraw-page__line--strong'>
            <Text>实际到账</Text>
            <Text data-testid='withdraw-net'>{preview?.netFen != null ? formatFen(preview.netFen) : '—'}</Text>
          </View>
        </View>
        {preview?.problem && page.amount !== '' && (
          <Text className='withdraw-page__problem' data-testid='withdraw-problem'>
            {preview.problem}
          </Text>
        )}
        {submit.kind === 'failed' && (
          <Text className='withdraw-page__problem' data-testid='withdraw-error'>
            {submit.message}
          </Text>
        )}
        {submit.kind === 'done' && (
          <Text className='withdraw-page__ok' data-testid='withdraw-done'>
            已提交提现 {formatFen(submit.result.amount_fen)}，审核通过后到账 {formatFen(submit.result.net_fen)}
          </Text>
        )}
        <Button
          type='primary'
          block
          disabled={!preview || preview.problem !== null}
          loading={submit.kind === 'submitting'}
          data-testid='withdraw-submit'
          onClick={page.askConfirm}
        >
          申请提现
        </Button>
        <View className='withdraw-page__rules' data-testid='withdraw-rules'>
          <Text>· 最低提现 {formatFen(info.min_fen)}，手续费 {formatBps(info.fee_bps)}（从提现金额中扣除）</Text>
          <Text data-testid='withdraw-today'>
            · 每日最多 {info.daily_limit} 次，今日已申请 {info.today_count} 次{left === 0 ? '，今日已用完' : `，还可申请 ${left} 次`}
          </Text>
          {Number(info.pending_fen) > 0 && <Text>· 审核中 {formatFen(info.pending_fen)}，已从余额中冻结</Text>}
          <Text>· 申请后金额从余额中冻结，审核通过后通过微信转账打款，请在提现记录中“确认收款”后到账微信零钱；驳回或超时未确认收款的退回余额</Text>
        </View>
      </View>

      <Text className='withdraw-page__title'>提现记录</Text>
      {data.history.items.length === 0 ? (
        <EmptyState title='暂无提现记录' />
      ) : (
        <View className='withdraw-page__list' data-testid='withdraw-list'>
          {data.history.items.map((w) => (
            <WithdrawalRow key={w.withdrawal_id} w={w} page={page} />
          ))}
          <LoadMore list={data.history} onMore={() => void page.loadMore()} />
        </View>
      )}

      <Dialog
        visible={submit.kind === 'confirming'}
        title='确认提现'
        content={
          preview && preview.amountFen !== null && preview.netFen !== null && preview.feeFen !== null ? (
            <Text data-testid='withdraw-confirm-text'>
              从{WITHDRAW_ASSET_LABELS[page.asset]}提现 {formatFen(preview.amountFen)}，手续费 {formatFen(preview.feeFen)}，实际到账{' '}
              {formatFen(preview.netFen)}
            </Text>
          ) : (
            ''
          )
        }
        confirmText='确认提现'
        cancelText='取消'
        onConfirm={() => void page.confirm()}
        onCancel={page.cancelConfirm}
        onClose={page.cancelConfirm}
      />
    </View>
  )
}

function WithdrawalRow({ w, page }: { w: Withdrawal; page: WithdrawPage }) {
  const busy = page.receipt.kind === 'busy' && page.receipt.id === w.withdrawal_id
  const failed = page.receipt.kind === 'failed' && page.receipt.id === w.withdrawal_id ? page.receipt.message : null
  return (
    <View className='withdraw-page__row' data-testid='withdraw-row' data-status={w.status}>
      <View className='withdraw-page__row-main'>
        <Text className='withdraw-page__row-title'>
          {WITHDRAW_ASSET_LABELS[w.asset]}提现 {formatFen(w.amount_fen)}
        </Text>
        <Text className='withdraw-page__small'>
          {formatDateTime(w.requested_at)} · 手续费 {formatFen(w.fee_fen)} · 到账 {formatFen(w.net_fen)}
        </Text>
        {w.status === 'rejected' && w.reject_reason && (
          <Text className='withdraw-page__reason' data-testid='withdraw-reason'>
            驳回原因：{w.reject_reason}（已退回余额）
          </Text>
        )}
        {w.status === 'returned' && w.reject_reason && (
          <Text className='withdraw-page__reason' data-testid='withdraw-reason'>
            退回原因：{w.reject_reason}
          </Text>
        )}
        {w.status === 'paying' && !w.package_info && (
          <Text className='withdraw-page__small'>已通过审核，微信转账处理中</Text>
        )}
        {w.status === 'approved' && w.decided_at && (
          <Text className='withdraw-page__small'>审核时间 {formatDateTime(w.decided_at)}，已到账微信零钱</Text>
        )}
        {failed && <Text className='withdraw-page__reason'>{failed}</Text>}
      </View>
      <View className='withdraw-page__row-side'>
        <Text className={`withdraw-page__status withdraw-page__status--${w.status}`} data-testid='withdraw-status'>
          {w.status_label}
        </Text>
        {w.package_info && (
          <Button size='small' type='primary' loading={busy} disabled={busy} data-testid='withdraw-confirm-receipt'
            onClick={() => void page.confirmReceipt(w)}>
            确认收款
          </Button>
        )}
      </View>
    </View>
  )
}

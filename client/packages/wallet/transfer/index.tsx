import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Cell } from '@/components/nut/cell'
import { Dialog } from '@/components/nut/dialog'
import { Input } from '@/components/nut/input'
import { ResultPage } from '@/components/nut/result-page'
import PageState from '@/components/PageState'
import { formatPoints } from '@/lib/money'
import { isWeapp } from '@/services/env'
import { useTransferPage, type TransferData, type TransferPage } from './use-transfer-page'
import './index.scss'

/** 积分转赠 */
export default function TransferPageView() {
  const page = useTransferPage()
  return (
    <View className='transfer-page' data-testid='transfer-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Transfer page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Transfer({ page, data }: { page: TransferPage; data: TransferData }) {
  const { submit } = page
  if (submit.kind === 'done') {
    const { result } = submit
    return (
      <View className='transfer-page__card' data-testid='transfer-done'>
        <ResultPage
          status='success'
          title='转赠成功'
          description={`已向 ${result.to_nickname_masked ?? result.to_member_code} 转赠 ${formatPoints(result.points)} 积分`}
        />
        <Text className='transfer-page__muted' data-testid='transfer-balance'>
          剩余积分 {formatPoints(result.balance_after)}
        </Text>
        <Button type='primary' block data-testid='open-wallet' onClick={page.openWallet}>
          返回钱包
        </Button>
        <Button block data-testid='transfer-again' onClick={page.again}>
          继续转赠
        </Button>
      </View>
    )
  }
  return (
    <View>
      <View className='transfer-page__head'>
        <Text className='transfer-page__muted'>可转赠积分</Text>
        <Text className='transfer-page__balance' data-testid='transfer-available'>
          {formatPoints(data.wallet.points)}
        </Text>
      </View>
      <Cell.Group>
        <Cell title='对方会员码'>
          <Input
            value={page.code}
            placeholder='8 位会员码'
            maxLength={8}
            data-testid='transfer-code'
            onChange={(v) => page.setCode(String(v))}
          />
        </Cell>
        <Cell title='转赠积分'>
          <Input
            type={isWeapp ? 'number' : 'text'}
            value={page.points}
            placeholder='正整数'
            maxLength={12}
            data-testid='transfer-points'
            onChange={(v) => page.setPoints(String(v))}
          />
        </Cell>
      </Cell.Group>
      <View className='transfer-page__pad'>
        {page.invalid && (page.code !== '' || page.points !== '') && (
          <Text className='transfer-page__muted' data-testid='transfer-invalid'>
            {page.invalid}
          </Text>
        )}
        {submit.kind === 'failed' && (
          <Text className='transfer-page__error' data-testid='transfer-error'>
            {submit.message}
          </Text>
        )}
        <Button
          type='primary'
          block
          disabled={page.invalid !== null}
          loading={submit.kind === 'submitting' || submit.kind === 'checking'}
          data-testid='transfer-submit'
          onClick={() => void page.askConfirm()}
        >
          转赠
        </Button>
        <Text className='transfer-page__muted'>积分转出后不可撤回，请核对对方会员码。</Text>
      </View>
      <Dialog
        visible={submit.kind === 'confirming'}
        title='确认转赠'
        content={
          submit.kind === 'confirming' ? (
            <Text data-testid='transfer-confirm-text'>
              向 {submit.recipient.nickname_masked}（会员码 {submit.recipient.member_code}）转赠 {formatPoints(submit.points)} 积分？
            </Text>
          ) : (
            ''
          )
        }
        confirmText='确认转赠'
        cancelText='取消'
        onConfirm={() => void page.confirm()}
        onCancel={page.cancelConfirm}
        onClose={page.cancelConfirm}
      />
    </View>
  )
}

import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { Cell } from '@/components/nut/cell'
import { Input } from '@/components/nut/input'
import { ResultPage } from '@/components/nut/result-page'
import { TextArea } from '@/components/nut/text-area'
import PageState from '@/components/PageState'
import { formatDateTime } from '@/lib/time'
import { useJoinPage, type JoinData, type JoinPage, type MerchantForm } from './use-join-page'
import './index.scss'

/** 扫码加入: binds the referrer of an invite code, or takes a merchant application. */
export default function JoinPageView() {
  const page = useJoinPage()
  return (
    <View className='join-page' data-testid='join-page'>
      {page.state.kind === 'signed-out' && (
        <Text className='join-page__intro'>
          {page.scene.kind === 'merchant' ? '登录后填写商家入驻申请' : '登录后即可接受好友邀请'}
        </Text>
      )}
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Join page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Join({ page, data }: { page: JoinPage; data: JoinData }) {
  if (data.kind === 'invalid') {
    return (
      <View className='join-page__card' data-testid='join-invalid'>
        <ResultPage status='warning' title='二维码无效' description='请确认扫描的是本平台的邀请二维码' />
        <Button type='primary' block data-testid='go-home' onClick={page.goHome}>
          去首页
        </Button>
      </View>
    )
  }
  if (data.kind === 'refused') {
    return (
      <View className='join-page__card' data-testid='join-refused' data-reason={data.reason}>
        <ResultPage status='warning' title={REFUSAL_TITLES[data.reason] ?? '无法接受邀请'} description={data.message} />
        <Button type='primary' block data-testid='go-home' onClick={page.goHome}>
          去首页
        </Button>
      </View>
    )
  }
  if (data.kind === 'invite') {
    const { result } = data
    return (
      <View className='join-page__card' data-testid='join-bound'>
        <ResultPage
          status={result.bound ? 'success' : 'info'}
          title={result.bound ? '已接受邀请' : '你已有推荐人'}
          description={
            result.bound
              ? `你的推荐人是 ${result.referrer_nickname_masked ?? '好友'}`
              : `你的推荐人是 ${result.referrer_nickname_masked ?? '好友'}，推荐关系绑定后不能更改`
          }
        />
        <Button type='primary' block data-testid='go-home' onClick={page.goHome}>
          开始排队返利
        </Button>
      </View>
    )
  }
  return <Merchant page={page} data={data} />
}

/**
 * A valid 招商码: whose it is, then my latest application's status if I have one (a re-scan
 * shows where it stands: 审核中, 已通过 with the store, 已驳回 with the reason), else the form.
 */
function Merchant({ page, data }: { page: JoinPage; data: Extract<JoinData, { kind: 'merchant' }> }) {
  const { info } = data
  const last = info.latest_application
  const who = info.platform ? '平台招商' : `招商人：${info.recruiter_nickname_masked ?? ''}`
  if (page.apply.kind === 'done' || page.formOpen || !last) {
    return (
      <>
        <Text className='join-page__muted join-page__who' data-testid='merchant-recruiter'>
          招商码 {info.invite_code} · {who}
        </Text>
        {last?.status === 'rejected' && page.apply.kind !== 'done' && (
          <Text className='join-page__error join-page__who' data-testid='apply-last-rejected'>
            上次申请未通过：{last.reject_reason ?? ''}
          </Text>
        )}
        <MerchantApply page={page} />
      </>
    )
  }
  const title = last.status === 'pending' ? '入驻申请审核中' : last.status === 'approved' ? '入驻申请已通过' : '入驻申请未通过'
  const description =
    last.status === 'pending'
      ? `「${last.store_name}」的入驻申请已于 ${formatDateTime(last.created_at)} 提交，平台审核后会通知你`
      : last.status === 'approved'
        ? `门店「${last.store_name}」已开通，可在“我的门店”查看收银台码和经营数据`
        : `「${last.store_name}」的入驻申请未通过：${last.reject_reason ?? ''}`
  return (
    <View className='join-page__card' data-testid='apply-status' data-status={last.status}>
      <ResultPage status={last.status === 'approved' ? 'success' : last.status === 'pending' ? 'info' : 'warning'} title={title} description={description} />
      {last.status === 'approved' && (
        <Button type='primary' block data-testid='go-my-store' onClick={page.goMyStore}>
          我的门店
        </Button>
      )}
      {last.status !== 'pending' && (
        <Button type='primary' fill='outline' block data-testid='apply-again' onClick={page.applyAgain}>
          {last.status === 'approved' ? '申请新门店' : '重新申请'}
        </Button>
      )}
      <Button block data-testid='go-home' onClick={page.goHome}>
        去首页
      </Button>
    </View>
  )
}

/** Titles of the binding refusals; the description is the backend's Chinese text. */
const REFUSAL_TITLES: Readonly<Record<string, string>> = {
  already_bound: '你已有推荐人',
  self_referral: '不能邀请自己',
  referral_cycle: '无法绑定该推荐人',
  invalid_invite_code: '邀请码无效',
  invalid_merchant_invite: '招商码无效',
  self_invite: '不能使用自己的招商码',
}

const FIELDS: ReadonlyArray<{ field: Exclude<keyof MerchantForm, 'address'>; label: string; placeholder: string; type?: 'tel' }> = [
  { field: 'storeName', label: '门店名称', placeholder: '例如：街角咖啡' },
  { field: 'contactName', label: '联系人', placeholder: '姓名' },
  { field: 'contactPhone', label: '联系电话', placeholder: '手机号或座机号', type: 'tel' },
  { field: 'licenceNo', label: '营业执照号', placeholder: '15 或 18 位统一社会信用代码' },
]

function MerchantApply({ page }: { page: JoinPage }) {
  const { apply } = page
  if (apply.kind === 'done') {
    return (
      <View className='join-page__card' data-testid='apply-done'>
        <ResultPage status='success' title='申请已提交' description={`「${apply.application.store_name}」的入驻申请已提交，平台审核通过后会通知你`} />
        <Button type='primary' block data-testid='go-home' onClick={page.goHome}>
          去首页
        </Button>
      </View>
    )
  }
  return (
    <View data-testid='merchant-form'>
      <Text className='join-page__intro'>商家入驻申请</Text>
      <Cell.Group>
        {FIELDS.map(({ field, label, placeholder, type }) => (
          <Cell key={field} title={label}>
            <Input
              value={page.form[field]}
              placeholder={placeholder}
              type={type ?? 'text'}
              data-testid={field === 'licenceNo' ? 'apply-licence' : `apply-${field}`}
              onChange={(v) => page.setField(field, String(v))}
            />
          </Cell>
        ))}
        <Cell title='门店地址'>
          <TextArea value={page.form.address} placeholder='省市区及详细地址' maxLength={120} data-testid='apply-address' onChange={(v) => page.setField('address', String(v))} />
        </Cell>
      </Cell.Group>
      <View className='join-page__pad'>
        {apply.kind === 'failed' && (
          <Text className='join-page__error' data-testid='apply-error'>
            {apply.message}
          </Text>
        )}
        {page.formProblem && (
          <Text className='join-page__muted' data-testid='apply-problem'>
            {page.formProblem}
          </Text>
        )}
        <Button
          type='primary'
          block
          disabled={page.formProblem !== null}
          loading={apply.kind === 'submitting'}
          data-testid='apply-submit'
          onClick={() => void page.submitApplication()}
        >
          提交申请
        </Button>
      </View>
    </View>
  )
}

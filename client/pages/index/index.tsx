import { Button, Text, View } from '@tarojs/components'
import type { MemberProfile } from '@/services/member'
import { DEMO_MEMBERS, useMemberPage, type MemberPage } from './use-member-page'
import './index.scss'

/** 会员页: who am I. Rendering only; data and actions come from useMemberPage. */
export default function Index() {
  const page = useMemberPage()
  return (
    <View className='member-page' data-testid='member-page'>
      <Body page={page} />
    </View>
  )
}

function Body({ page }: { page: MemberPage }) {
  const { state } = page
  switch (state.kind) {
    case 'busy':
      return (
        <View className='member-page__status' data-testid='status'>
          <Text>{state.text}</Text>
        </View>
      )
    case 'error':
      return (
        <View className='member-page__status' data-testid='error'>
          <Text className='member-page__error'>{state.message}</Text>
          <Button className='member-page__button' data-testid='retry' onClick={() => void page.retry()}>
            重试
          </Button>
        </View>
      )
    case 'signed-out':
      return <SignedOut page={page} notice={state.notice} />
    case 'ready':
      return <Profile profile={state.profile} onSignOut={page.signOut} />
  }
}

function SignedOut({ page, notice }: { page: MemberPage; notice: string | null }) {
  return (
    <View className='member-page__login' data-testid='login'>
      {notice && <Text className='member-page__notice'>{notice}</Text>}
      {page.wechatLogin && (
        <Button className='member-page__button btn-primary' data-testid='wechat-login' onClick={() => void page.loginWechat()}>
          微信登录
        </Button>
      )}
      {page.devLogin && (
        <View className='member-page__demo'>
          <Text className='member-page__hint'>本地开发：选择一位演示会员登录</Text>
          {DEMO_MEMBERS.map((member) => (
            <Button
              key={member.code}
              className='member-page__button'
              data-testid={member.testId}
              onClick={() => void page.loginDemo(member.code)}
            >
              {member.label}
            </Button>
          ))}
        </View>
      )}
      {!page.wechatLogin && !page.devLogin && <Text className='member-page__hint'>请在微信小程序中打开</Text>}
    </View>
  )
}

function Profile({ profile, onSignOut }: { profile: MemberProfile; onSignOut: () => void }) {
  return (
    <View className='member-page__profile' data-testid='profile'>
      <Field label='会员码' value={profile.member_code} testId='member-code' />
      <Field label='昵称' value={profile.nickname || '未设置'} testId='nickname' />
      <Field label='会员等级' value={profile.level_name || '暂无等级'} testId='level-name' />
      <Button className='member-page__button' data-testid='logout' onClick={onSignOut}>
        退出登录
      </Button>
    </View>
  )
}

function Field({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <View className='member-page__field'>
      <Text className='member-page__label'>{label}</Text>
      <Text className='member-page__value' data-testid={testId}>
        {value}
      </Text>
    </View>
  )
}

import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import { DEMO_MEMBERS, type LoginActions } from '@/hooks/use-login'
import './index.scss'

/** Shown where a page needs a member and there is none: WeChat login, or the demo members (H5, local stack). */
export default function LoginPanel({ login, notice }: { login: LoginActions; notice: string | null }) {
  return (
    <View className='login-panel' data-testid='login'>
      <Text className='login-panel__title'>登录后即可查看</Text>
      {notice && (
        <Text className='login-panel__notice' data-testid='login-notice'>
          {notice}
        </Text>
      )}
      {login.error && (
        <Text className='login-panel__notice' data-testid='login-error'>
          {login.error}
        </Text>
      )}
      {login.wechatLogin && (
        <Button type='primary' block loading={login.busy} data-testid='wechat-login' onClick={() => void login.loginWechat()}>
          微信一键登录
        </Button>
      )}
      {login.devLogin && (
        <View className='login-panel__demo'>
          <Text className='login-panel__hint'>本地开发：选择一位演示会员登录</Text>
          {DEMO_MEMBERS.map((member) => (
            <Button
              key={member.code}
              block
              disabled={login.busy}
              data-testid={member.testId}
              onClick={() => void login.loginDemo(member.code)}
            >
              {member.label}
            </Button>
          ))}
        </View>
      )}
      {!login.wechatLogin && !login.devLogin && <Text className='login-panel__hint'>请在微信小程序中打开</Text>}
    </View>
  )
}

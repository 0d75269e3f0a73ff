import { Text, View } from '@tarojs/components'
import { Button } from '@/components/nut/button'
import PageState from '@/components/PageState'
import { useConsoleLoginPage, type ConsoleLoginData, type ConsoleLoginPage } from './use-console-login-page'
import './index.scss'

const clock = (t: string): string => new Date(t).toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })

/** 登录运营后台？ — confirm the console's scan login with the member's own session. */
export default function ConsoleLogin() {
  const page = useConsoleLoginPage()
  return (
    <View className='console-login' data-testid='console-login-page'>
      <PageState state={page.state} login={page.login} onRetry={() => void page.reload(true)}>
        {(data) => <Confirm page={page} data={data} />}
      </PageState>
    </View>
  )
}

function Confirm({ page, data }: { page: ConsoleLoginPage; data: ConsoleLoginData }) {
  const s = page.confirmState
  if (!data.info) {
    return (
      <View className='console-login__card'>
        <Text className='console-login__title'>扫码登录运营后台</Text>
        <Text className='console-login__note'>在电脑上打开运营后台，扫描页面上的二维码</Text>
        <Button type='primary' block onClick={() => void page.scan()} data-testid='console-login-scan'>扫一扫</Button>
      </View>
    )
  }
  return (
    <View className='console-login__card'>
      <Text className='console-login__title' data-testid='console-login-title'>登录运营后台？</Text>
      <Text className='console-login__note'>登录请求时间：{clock(data.info.created_at)}</Text>
      <Text className='console-login__note'>请确认是您本人在电脑上操作，二维码 {clock(data.info.expires_at)} 失效</Text>
      {s.kind === 'done' ? (
        <Text className='console-login__ok' data-testid='console-login-done'>已确认，请在电脑上继续操作</Text>
      ) : (
        <Button type='primary' block loading={s.kind === 'confirming'} onClick={() => void page.confirm()} data-testid='console-login-confirm'>
          确认登录
        </Button>
      )}
      {s.kind === 'failed' && <Text className='console-login__error' data-testid='console-login-error'>{s.message}</Text>}
    </View>
  )
}

import { Suspense, lazy, useCallback, useEffect, useState } from 'react'
import { Alert, App as AntApp, Button, ConfigProvider, Layout, Menu, Space, Spin, Tag } from 'antd'
import zhCN from 'antd/locale/zh_CN'
import { ApiError } from '../services/errors'
import { fetchConsoleMe, ROLE_LABELS, type ConsoleMe } from '../services/console'
import { onSessionChange, readSession, saveSession } from './session'
import { routesFor } from './routes'
import { MeContext } from './context'

const Login = lazy(() => import('./pages/Login'))

function useHashPath(): [string, (p: string) => void] {
  const read = () => window.location.hash.replace(/^#\/?/, '').split('?')[0]
  const [path, setPath] = useState(read)
  useEffect(() => {
    const on = () => setPath(read())
    window.addEventListener('hashchange', on)
    return () => window.removeEventListener('hashchange', on)
  }, [])
  return [path, (p) => { window.location.hash = `#/${p}` }]
}

const loading = <div style={{ padding: 48, textAlign: 'center' }}><Spin /></div>

function Shell({ me }: { me: ConsoleMe }) {
  const [path, go] = useHashPath()
  const routes = routesFor(me.roles)
  const route = routes.find((r) => r.path === path)
  useEffect(() => {
    if (!path && routes[0]) go(routes[0].path)
  }, [path])
  const Page = route?.page
  return (
    <MeContext.Provider value={me}>
      <Layout style={{ minHeight: '100%' }}>
        <Layout.Sider width={200} theme='light' style={{ borderRight: '1px solid #f0f0f0' }}>
          <div style={{ padding: '16px 20px', fontWeight: 600, fontSize: 16 }}>排队返利 · 运营后台</div>
          <Menu mode='inline' selectedKeys={[path]} items={routes.map((r) => ({ key: r.path, label: r.label }))}
            onClick={(e) => go(e.key)} />
        </Layout.Sider>
        <Layout>
          <Layout.Header style={{ background: '#fff', padding: '0 24px', display: 'flex', justifyContent: 'flex-end', alignItems: 'center', borderBottom: '1px solid #f0f0f0' }}>
            <Space>
              <span data-testid='console-user'>{me.nickname}（{me.member_code}）</span>
              {me.roles.map((r) => <Tag key={r} color='blue'>{ROLE_LABELS[r]}</Tag>)}
              <Button size='small' onClick={() => saveSession(null)}>退出登录</Button>
            </Space>
          </Layout.Header>
          <Layout.Content style={{ padding: 24 }}>
            {Page ? <Suspense fallback={loading}><Page /></Suspense>
              : path ? <Alert type='error' showIcon message='没有权限' description='您的角色不能使用此页面' data-testid='forbidden' /> : loading}
          </Layout.Content>
        </Layout>
      </Layout>
    </MeContext.Provider>
  )
}

function Root() {
  const [session, setSession] = useState(readSession)
  const [me, setMe] = useState<ConsoleMe | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => onSessionChange(() => setSession(readSession())), [])
  const load = useCallback(async () => {
    setError(null)
    setMe(null)
    if (!session) return
    try {
      setMe(await fetchConsoleMe())
    } catch (e) {
      setError(e instanceof ApiError ? e.message : '加载失败，请稍后重试')
    }
  }, [session?.access_token])
  useEffect(() => { void load() }, [load])

  if (!session) return <Suspense fallback={loading}><Login /></Suspense>
  if (error) {
    return (
      <div style={{ maxWidth: 480, margin: '120px auto' }}>
        <Alert type='error' showIcon message='无法进入运营后台' description={error} data-testid='console-refused'
          action={<Button type='primary' onClick={() => saveSession(null)}>重新登录</Button>} />
      </div>
    )
  }
  if (!me) return loading
  return <Shell me={me} />
}

export function App() {
  return (
    <ConfigProvider locale={zhCN} theme={{ token: { colorPrimary: '#e4393c' } }}>
      <AntApp>
        <Root />
      </AntApp>
    </ConfigProvider>
  )
}

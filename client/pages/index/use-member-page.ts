import { useDidShow } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { devLoginAvailable, loginAsDemoMember, loginWithWechat, logout } from '@/services/auth'
import { isWeapp } from '@/services/env'
import { ApiError } from '@/services/errors'
import { fetchMyProfile, type MemberProfile } from '@/services/member'
import { readSession } from '@/services/session'

/** What the member page shows; exactly one at a time. */
export type MemberPageState =
  | { kind: 'busy'; text: string }
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'ready'; profile: MemberProfile }
  | { kind: 'error'; message: string }

/** The demo members the local stack seeds (dev login, H5 only). */
export const DEMO_MEMBERS = [
  { code: 'DEMO0001', label: '演示会员一', testId: 'demo-login-1' },
  { code: 'DEMO0002', label: '演示会员二', testId: 'demo-login-2' },
  { code: 'DEMO0003', label: '演示会员三', testId: 'demo-login-3' },
] as const

export interface MemberPage {
  state: MemberPageState
  /** H5 on the local stack: offer the demo-member buttons. */
  devLogin: boolean
  /** WeChat: offer the WeChat login button. */
  wechatLogin: boolean
  loginWechat: () => Promise<void>
  loginDemo: (memberCode: string) => Promise<void>
  signOut: () => void
  retry: () => Promise<void>
}

/**
 * Data and actions of the member page. On every show it reloads the profile; on WeChat
 * a missing session triggers wx.login automatically, unless the member just signed out.
 */
export function useMemberPage(): MemberPage {
  const [state, setState] = useState<MemberPageState>({ kind: 'busy', text: '加载中…' })
  const signedOutByUser = useRef(false)

  const fail = useCallback((error: unknown): void => {
    if (error instanceof ApiError && error.code === 'unauthorized') {
      logout()
      setState({ kind: 'signed-out', notice: error.message })
      return
    }
    setState({ kind: 'error', message: userMessage(error) })
  }, [])

  const loadProfile = useCallback(async (): Promise<void> => {
    setState({ kind: 'busy', text: '加载中…' })
    try {
      setState({ kind: 'ready', profile: await fetchMyProfile() })
    } catch (error) {
      fail(error)
    }
  }, [fail])

  const login = useCallback(
    async (run: () => Promise<unknown>): Promise<void> => {
      signedOutByUser.current = false
      setState({ kind: 'busy', text: '登录中…' })
      try {
        await run()
      } catch (error) {
        fail(error)
        return
      }
      await loadProfile()
    },
    [fail, loadProfile],
  )

  const loginWechat = useCallback(() => login(loginWithWechat), [login])
  const loginDemo = useCallback((code: string) => login(() => loginAsDemoMember(code)), [login])

  const refresh = useCallback(async (): Promise<void> => {
    if (readSession()) return loadProfile()
    if (isWeapp && !signedOutByUser.current) return loginWechat()
    setState({ kind: 'signed-out', notice: null })
  }, [loadProfile, loginWechat])

  useDidShow(() => {
    void refresh()
  })

  const signOut = useCallback((): void => {
    logout()
    signedOutByUser.current = true
    setState({ kind: 'signed-out', notice: '已退出登录' })
  }, [])

  return {
    state,
    devLogin: devLoginAvailable,
    wechatLogin: isWeapp,
    loginWechat,
    loginDemo,
    signOut,
    retry: refresh,
  }
}

/** Services throw ApiError with Chinese text; anything else is a bug: log it, say little. */
function userMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  console.error('member page: unexpected error', error)
  return '出错了，请稍后重试'
}

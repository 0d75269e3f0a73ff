import { useCallback, useState } from 'react'
import { devLoginAvailable, loginAsDemoMember, loginWithWechat } from '@/services/auth'
import { isWeapp } from '@/services/env'
import { userMessage } from './user-message'

/** The demo members the local stack seeds (dev login, H5 only). */
export const DEMO_MEMBERS = [
  { code: 'DEMO0001', label: '演示会员一', testId: 'demo-login-1' },
  { code: 'DEMO0002', label: '演示会员二', testId: 'demo-login-2' },
  { code: 'DEMO0003', label: '演示会员三', testId: 'demo-login-3' },
] as const

export interface LoginActions {
  /** H5 on the local stack: offer the demo-member buttons. */
  devLogin: boolean
  /** WeChat: offer the WeChat login button. */
  wechatLogin: boolean
  busy: boolean
  loginWechat: () => Promise<boolean>
  loginDemo: (memberCode: string) => Promise<boolean>
  /** the last login failure, Chinese */
  error: string | null
}

/** Login buttons' actions; `onSignedIn` runs after a successful login. */
export function useLogin(onSignedIn: () => void): LoginActions {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)

  const run = useCallback(
    async (login: () => Promise<unknown>): Promise<boolean> => {
      setBusy(true)
      setError(null)
      try {
        await login()
      } catch (e) {
        setError(userMessage(e))
        return false
      } finally {
        setBusy(false)
      }
      onSignedIn()
      return true
    },
    [onSignedIn],
  )

  return {
    devLogin: devLoginAvailable,
    wechatLogin: isWeapp,
    busy,
    error,
    loginWechat: useCallback(() => run(loginWithWechat), [run]),
    loginDemo: useCallback((code: string) => run(() => loginAsDemoMember(code)), [run]),
  }
}

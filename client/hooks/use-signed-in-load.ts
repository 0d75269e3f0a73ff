import { useDidShow } from '@tarojs/taro'
import { useCallback, useRef, useState } from 'react'
import { loginWithWechat, logout } from '@/services/auth'
import { isWeapp } from '@/services/env'
import { readSession } from '@/services/session'
import { useLogin, type LoginActions } from './use-login'
import { isUnauthorized, userMessage } from './user-message'

/** What a page that needs a member shows; exactly one at a time. */
export type LoadState<T> =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice: string | null }
  | { kind: 'error'; message: string }
  | { kind: 'ready'; data: T }

export interface SignedInLoad<T> {
  state: LoadState<T>
  /** load again; keeps showing the current data meanwhile unless `showLoading` */
  reload: (showLoading?: boolean) => Promise<void>
  /** change the loaded data in place (after an action, a next page …) */
  update: (change: (data: T) => T) => void
  login: LoginActions
  /** sign out here (WeChat then waits for the login button instead of logging in again) */
  signOut: () => void
}

/**
 * Load a page's data for the signed-in member on every show. Without a session: WeChat
 * logs in by itself (wx.login); H5 shows the login panel. A refused token signs out.
 */
export function useSignedInLoad<T>(load: () => Promise<T>): SignedInLoad<T> {
  const [state, setState] = useState<LoadState<T>>({ kind: 'loading' })
  const loadRef = useRef(load)
  loadRef.current = load
  const hasData = useRef(false)
  const autoLoginTried = useRef(false)

  const run = useCallback(async (showLoading: boolean): Promise<void> => {
    if (showLoading || !hasData.current) setState({ kind: 'loading' })
    try {
      const data = await loadRef.current()
      hasData.current = true
      setState({ kind: 'ready', data })
    } catch (error) {
      if (isUnauthorized(error)) {
        logout()
        hasData.current = false
        setState({ kind: 'signed-out', notice: userMessage(error) })
        return
      }
      hasData.current = false
      setState({ kind: 'error', message: userMessage(error) })
    }
  }, [])

  const reload = useCallback(
    async (showLoading = false): Promise<void> => {
      if (readSession()) return run(showLoading)
      hasData.current = false
      if (isWeapp && !autoLoginTried.current) {
        autoLoginTried.current = true
        setState({ kind: 'loading' })
        try {
          await loginWithWechat()
        } catch (error) {
          setState({ kind: 'signed-out', notice: userMessage(error) })
          return
        }
        return run(true)
      }
      setState({ kind: 'signed-out', notice: null })
    },
    [run],
  )

  const login = useLogin(useCallback(() => void run(true), [run]))

  useDidShow(() => {
    void reload()
  })

  const update = useCallback((change: (data: T) => T): void => {
    setState((current) => (current.kind === 'ready' ? { kind: 'ready', data: change(current.data) } : current))
  }, [])

  const signOut = useCallback((): void => {
    logout()
    hasData.current = false
    autoLoginTried.current = true
    setState({ kind: 'signed-out', notice: '已退出登录' })
  }, [])

  return { state, reload, update, login, signOut }
}

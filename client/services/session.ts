import Taro from '@tarojs/taro'

/**
 * The signed-in member's JWT, kept in Taro storage (wx storage on WeChat, localStorage
 * on H5) so a restart does not force a new login.
 */
export interface SessionUser {
  id: string
  member_code: string
}

export type LoginMethod = 'wechat' | 'dev'

export interface Session {
  access_token: string
  /** Unix seconds, as the login functions return it. */
  expires_at: number
  user: SessionUser
  /** How to log in again when the token expires. */
  method: LoginMethod
}

const STORAGE_KEY = 'queue-rebate.session'

/** Treat a token as expired a minute early, so it does not lapse in flight. */
const EXPIRY_MARGIN_SECONDS = 60

export function readSession(): Session | null {
  const raw: unknown = Taro.getStorageSync(STORAGE_KEY)
  if (typeof raw !== 'string' || raw === '') return null
  try {
    const value: unknown = JSON.parse(raw)
    return isSession(value) ? value : null
  } catch {
    // A corrupt entry is as good as none; the next login overwrites it.
    return null
  }
}

export function writeSession(session: Session): void {
  Taro.setStorageSync(STORAGE_KEY, JSON.stringify(session))
}

export function clearSession(): void {
  Taro.removeStorageSync(STORAGE_KEY)
}

export function isExpired(session: Session, nowMs: number = Date.now()): boolean {
  return session.expires_at - EXPIRY_MARGIN_SECONDS <= Math.floor(nowMs / 1000)
}

/** The stored token if it is still good, else null (the request then goes out as anon). */
export function validAccessToken(nowMs: number = Date.now()): string | null {
  const session = readSession()
  return session && !isExpired(session, nowMs) ? session.access_token : null
}

function isSession(value: unknown): value is Session {
  if (!value || typeof value !== 'object') return false
  const v = value as Partial<Session>
  return (
    typeof v.access_token === 'string' &&
    typeof v.expires_at === 'number' &&
    (v.method === 'wechat' || v.method === 'dev') &&
    !!v.user &&
    typeof v.user.id === 'string' &&
    typeof v.user.member_code === 'string'
  )
}

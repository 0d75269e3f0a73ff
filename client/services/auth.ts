import Taro from '@tarojs/taro'
import { taroFetch } from './adapters/taro-fetch'
import { functionUrl, isWeapp, localDev, supabaseAnonKey } from './env'
import { ApiError, fromTransportError, messageFor, toApiError, type BackendErrorBody } from './errors'
import { clearSession, isExpired, readSession, writeSession, type LoginMethod, type Session, type SessionUser } from './session'

/**
 * Login: trade a credential for a member JWT at an edge function, then keep the JWT in
 * storage. supabase.ts reads it through the `accessToken` callback.
 *
 *   weapp: Taro.login() code → POST /functions/v1/wechat-login {code}
 *   H5 on the local stack: POST /functions/v1/dev-login {member_code}
 *
 * Both answer {access_token, expires_at (unix seconds), user: {id, member_code}}.
 */

interface LoginResponse {
  access_token: string
  expires_at: number
  user: SessionUser
}

/** Whether this build can show the demo-member login (H5 against the local stack). */
export const devLoginAvailable: boolean = !isWeapp && localDev

export async function loginWithWechat(): Promise<Session> {
  const code = await wechatLoginCode()
  return exchange('wechat-login', { code }, 'wechat')
}

export async function loginAsDemoMember(memberCode: string): Promise<Session> {
  if (!localDev) throw new ApiError('dev_login_unavailable', messageFor('dev_login_unavailable'), 0)
  return exchange('dev-login', { member_code: memberCode }, 'dev')
}

export function logout(): void {
  clearSession()
}

let inFlight: Promise<Session | null> | null = null

/** The stored session, logged in again first if it has expired; null if there is none. */
export async function ensureFreshSession(nowMs: number = Date.now()): Promise<Session | null> {
  // A re-login under way decides the session for everyone who asks meanwhile.
  if (inFlight) return inFlight
  const session = readSession()
  if (!session) return null
  return isExpired(session, nowMs) ? relogin() : session
}

/**
 * Log in again the way the current session was made (after expiry or a 401). Concurrent
 * callers share one attempt, so a burst of expired requests makes one wx.login.
 * Resolves null when there is no way to log in again without the user.
 */
export function relogin(): Promise<Session | null> {
  if (!inFlight) {
    inFlight = reloginOnce().finally(() => {
      inFlight = null
    })
  }
  return inFlight
}

async function reloginOnce(): Promise<Session | null> {
  const previous = readSession()
  if (!previous) return null
  try {
    // A successful login overwrites the stored session.
    if (previous.method === 'wechat' && isWeapp) return await loginWithWechat()
    if (previous.method === 'dev' && localDev) return await loginAsDemoMember(previous.user.member_code)
  } catch (error) {
    // Offline (status 0): keep the session so the next request tries again.
    // Refused by the server: the session is dead, drop it.
    if (!(error instanceof ApiError) || error.status !== 0) clearSession()
    throw error
  }
  clearSession()
  return null
}

async function wechatLoginCode(): Promise<string> {
  try {
    const { code } = await Taro.login()
    if (code) return code
  } catch {
    // wx.login reports failure through its fail callback only; we answer the same below.
  }
  throw new ApiError('wechat_login_failed', messageFor('wechat_login_failed'), 0)
}

/** POST a credential to a login function (as anon) and store the session it returns. */
async function exchange(name: string, body: Record<string, string>, method: LoginMethod): Promise<Session> {
  let response
  try {
    response = await taroFetch(functionUrl(name), {
      method: 'POST',
      headers: {
        apikey: supabaseAnonKey,
        Authorization: `Bearer ${supabaseAnonKey}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
    })
  } catch (error) {
    throw fromTransportError(error)
  }
  const payload = parseJson(await response.text())
  if (!response.ok) throw loginError(payload, response.status)
  if (!isLoginResponse(payload)) throw new ApiError('bad_response', messageFor('bad_response'), response.status)
  const session: Session = { ...payload, method }
  writeSession(session)
  return session
}

/** Codes that say nothing specific about a failed login become `login_failed`. */
const GENERIC_CODES = new Set(['unauthorized', 'forbidden', 'not_found', 'unknown_error'])

function loginError(payload: unknown, status: number): ApiError {
  const error = toApiError(errorBody(payload), status)
  if (!GENERIC_CODES.has(error.code)) return error
  // Keep a Chinese hint from the function; otherwise say plainly that login failed.
  const hinted = error.hint !== null && error.message === error.hint
  return new ApiError('login_failed', hinted ? error.message : messageFor('login_failed'), status, error.hint)
}

/** Accept PostgREST's {code, message, hint} and the common {error, message} shape. */
function errorBody(payload: unknown): BackendErrorBody | null {
  if (!payload || typeof payload !== 'object') return null
  const p = payload as Record<string, unknown>
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
  return { code: text(p.code) ?? text(p.error), message: text(p.message), hint: text(p.hint) ?? text(p.message) }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

function isLoginResponse(value: unknown): value is LoginResponse {
  if (!value || typeof value !== 'object') return false
  const v = value as Partial<LoginResponse>
  return (
    typeof v.access_token === 'string' &&
    v.access_token !== '' &&
    typeof v.expires_at === 'number' &&
    !!v.user &&
    typeof v.user.id === 'string' &&
    typeof v.user.member_code === 'string'
  )
}

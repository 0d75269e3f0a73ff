import { createClient } from '@supabase/supabase-js'
import { taroFetch } from './adapters/taro-fetch'
import { TaroWebSocket } from './adapters/taro-socket'
import { ensureFreshSession, relogin } from './auth'
import { isWeapp, supabaseAnonKey, supabaseUrl } from './env'
import { toApiError, type BackendErrorBody } from './errors'
import { validAccessToken } from './session'

/**
 * The one supabase client. Every request goes through Taro.request (taroFetch), carries the
 * stored member JWT (accessToken callback; anon key when signed out) and, on WeChat, uses a
 * Taro.connectSocket transport for realtime (realtime-js demands a WebSocket class up front).
 *
 * With `accessToken` set, supabase.auth is unavailable by design: login lives in auth.ts.
 */
export const supabase = createClient(supabaseUrl, supabaseAnonKey, {
  accessToken: async () => validAccessToken(),
  global: {
    // taroFetch implements the part of fetch that supabase-js uses.
    fetch: taroFetch as unknown as typeof fetch,
  },
  realtime: isWeapp ? { transport: TaroWebSocket as unknown as typeof WebSocket } : {},
})

export type RpcArgs = Record<string, unknown>

interface RpcResult {
  data: unknown
  error: BackendErrorBody | null
  status: number
}

/**
 * Call a `public.*` database function. Returns its data; throws ApiError otherwise.
 * An expired session is renewed first, and a 401 triggers one re-login and one retry.
 */
export async function rpc<T>(fn: string, args: RpcArgs = {}): Promise<T> {
  const session = await ensureFreshSession()
  let result = await callRpc(fn, args)
  if (result.status === 401 && session) {
    // The token was refused (revoked, key rotated): log in again once, then retry.
    if (await relogin()) result = await callRpc(fn, args)
  }
  if (result.error) throw toApiError(result.error, result.status)
  return result.data as T
}

async function callRpc(fn: string, args: RpcArgs): Promise<RpcResult> {
  // postgrest-js never throws here: transport failures come back as status 0.
  const { data, error, status } = await supabase.rpc(fn, args)
  return { data, error, status }
}

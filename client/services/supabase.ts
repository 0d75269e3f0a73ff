import { createClient } from '@supabase/supabase-js'
import type { Database } from '../types/database.types'
import { taroFetch } from './adapters/taro-fetch'
import { TaroWebSocket } from './adapters/taro-socket'
import { configureApi, invokeFunction, rpc } from './api'
import { ensureFreshSession, relogin } from './auth'
import { functionUrl, isWeapp, supabaseAnonKey, supabaseUrl } from './env'
import { validAccessToken } from './session'

/**
 * The mini-program's supabase client, passed to the platform-neutral services (api.ts).
 * Every request goes through Taro.request (taroFetch), carries the stored member JWT
 * (accessToken callback; anon key when signed out) and, on WeChat, uses a
 * Taro.connectSocket transport for realtime (realtime-js demands a WebSocket class up front).
 *
 * With `accessToken` set, supabase.auth is unavailable by design: login lives in auth.ts.
 */
export const supabase = createClient<Database>(supabaseUrl, supabaseAnonKey, {
  accessToken: async () => validAccessToken(),
  global: {
    // taroFetch implements the part of fetch that supabase-js uses.
    fetch: taroFetch as unknown as typeof fetch,
  },
  realtime: isWeapp ? { transport: TaroWebSocket as unknown as typeof WebSocket } : {},
})

configureApi({
  client: supabase,
  fetch: taroFetch,
  functionUrl,
  anonKey: supabaseAnonKey,
  currentToken: async () => (await ensureFreshSession())?.access_token ?? null,
  renewToken: async () => (await relogin())?.access_token ?? null,
})

export { rpc, invokeFunction }

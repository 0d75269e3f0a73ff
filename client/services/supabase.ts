import { PostgrestClient } from '@supabase/postgrest-js'
import type { Database } from '../types/database.types'
import { taroFetch, type FetchInit } from './adapters/taro-fetch'
import { TaroHeaders } from './adapters/headers'
import { configureApi, invokeFunction, rpc, type ApiClient } from './api'
import { ensureFreshSession, relogin } from './auth'
import { functionUrl, supabaseAnonKey, supabaseUrl } from './env'
import { validAccessToken } from './session'

/**
 * The mini-program's API client, passed to the platform-neutral services (api.ts).
 *
 * api.ts only calls `client.rpc`, which supabase-js hands to its PostgREST client; so the
 * mini-program builds that PostgREST client alone (postgrest-js, the package supabase-js
 * uses for it, "standalone import for bundle-sensitive environments") and leaves out
 * auth-js, realtime-js, storage-js and functions-js: 180 KB less in the main package, which
 * WeChat caps (test/weapp/size.test.ts). Login lives in auth.ts, edge functions go through
 * invokeFunction, and nothing subscribes to realtime.
 *
 * Every request goes through Taro.request (taroFetch) and carries, as supabase-js's
 * fetchWithAuth does, the anon key as `apikey` and the stored member JWT (the anon key when
 * signed out) as the bearer token.
 */
async function fetchWithAuth(input: string | { href: string } | { url: string }, init: FetchInit = {}): ReturnType<typeof taroFetch> {
  const headers = new TaroHeaders(init.headers)
  if (!headers.has('apikey')) headers.set('apikey', supabaseAnonKey)
  if (!headers.has('Authorization')) headers.set('Authorization', `Bearer ${(await validAccessToken()) ?? supabaseAnonKey}`)
  return taroFetch(input, { ...init, headers })
}

const rest = new PostgrestClient<Database>(`${supabaseUrl}/rest/v1`, {
  fetch: fetchWithAuth as unknown as typeof fetch,
})

export const supabase: ApiClient = rest

configureApi({
  client: supabase,
  fetch: taroFetch,
  functionUrl,
  anonKey: supabaseAnonKey,
  currentToken: async () => (await ensureFreshSession())?.access_token ?? null,
  renewToken: async () => (await relogin())?.access_token ?? null,
})

export { rpc, invokeFunction }

import type { PostgrestClient } from '@supabase/postgrest-js'
import type { Database } from '../types/database.types'
import { ApiError, fromTransportError, messageFor, toApiError, type BackendErrorBody } from './errors'

/**
 * The one request path of every front-end (the mini-program, the operators' console): typed
 * calls of the `public.*` database functions and of the edge functions. It knows nothing of
 * the platform: the front-end passes in its supabase client (the mini-program builds it on
 * Taro.request, a browser app on fetch) and how it keeps its session (configureApi).
 *
 * Names, arguments and results are the generated types (client/types/database.types.ts,
 * `npm run db:types`): a renamed function or argument does not compile.
 */

type PublicFunctions = Database['public']['Functions']
export type RpcName = keyof PublicFunctions
export type RpcArgs<F extends RpcName> = PublicFunctions[F]['Args']
export type RpcResult<F extends RpcName> = PublicFunctions[F]['Returns']
/** What the services use of a client: the PostgREST rpc() of supabase-js (the console) or of postgrest-js alone (the mini-program). */
export type ApiClient = Pick<PostgrestClient<Database>, 'rpc'>

/** A composite type of schema public, as generated (a function's typed result). */
export type Composite<N extends keyof Database['public']['CompositeTypes']> = Database['public']['CompositeTypes'][N]

/** One row of a function that returns a table. */
export type RpcRow<F extends RpcName> = RpcResult<F> extends ReadonlyArray<infer R> ? R : never

/**
 * A generated row type with some fields stated more precisely than the catalog can (a column
 * that may be null, a text that holds one of a few values). Only fields the function really
 * returns can be refined: a renamed or dropped column stops the build.
 */
export type Refine<T, O extends { [K in keyof O]: K extends keyof T ? unknown : never }> = Omit<T, keyof O> & O

/**
 * A generated composite type (Postgres lets every attribute of a composite be null) with the
 * attributes that are never null stated so: all but K.
 */
export type Filled<T, K extends keyof T = never> = { [P in keyof T]-?: P extends K ? T[P] : NonNullable<T[P]> }


export interface ApiPlatform {
  client: ApiClient
  /** fetch for the edge functions (the mini-program's is built on Taro.request) */
  fetch: (url: string, init: { method: string; headers: Record<string, string>; body: string }) => Promise<{ status: number; text(): Promise<string> }>
  functionUrl: (name: string) => string
  anonKey: string
  /** the session's access token, renewed first if it has expired; null when signed out */
  currentToken: () => Promise<string | null>
  /** after a 401: sign in again once if the platform can; the new token or null */
  renewToken: () => Promise<string | null>
}

let platform: ApiPlatform | null = null

export function configureApi(p: ApiPlatform): void {
  platform = p
}

function configured(): ApiPlatform {
  if (!platform) throw new ApiError('not_configured', messageFor('unknown_error'), 0)
  return platform
}

/**
 * Call a `public.*` database function. Returns its data; throws ApiError otherwise.
 * A 401 triggers one renewal of the session and one retry.
 */
export async function rpc<F extends RpcName>(fn: F, ...args: RpcArgs<F> extends Record<PropertyKey, never> ? [] : [RpcArgs<F>]): Promise<RpcResult<F>> {
  const p = configured()
  const token = await p.currentToken()
  const call = () => p.client.rpc(fn, (args[0] ?? {}) as RpcArgs<F>)
  let result = await call()
  if (result.status === 401 && token) {
    // The token was refused (revoked, key rotated): sign in again once, then retry.
    if (await p.renewToken()) result = await call()
  }
  if (result.error) throw toApiError(result.error as BackendErrorBody, result.status)
  return result.data as RpcResult<F>
}

/**
 * Call an edge function (POST /functions/v1/<name>, JSON in and out) as the signed-in
 * member. Errors come back as ApiError exactly like rpc(): a stable code and Chinese text.
 * A 401 triggers one renewal and one retry, as for RPCs.
 */
export async function invokeFunction<T>(name: string, body: Record<string, unknown>): Promise<T> {
  const p = configured()
  const token = await p.currentToken()
  let result = await post(p, name, body, token)
  if (result.status === 401 && token) {
    const renewed = await p.renewToken()
    if (renewed) result = await post(p, name, body, renewed)
  }
  if (result.status < 200 || result.status >= 300) throw toApiError(errorBody(result.payload), result.status)
  if (result.payload === null || result.payload === undefined) {
    throw new ApiError('bad_response', messageFor('bad_response'), result.status)
  }
  return result.payload as T
}

interface RawResult {
  status: number
  payload: unknown
}

async function post(p: ApiPlatform, name: string, body: Record<string, unknown>, token: string | null): Promise<RawResult> {
  let response
  try {
    response = await p.fetch(p.functionUrl(name), {
      method: 'POST',
      headers: {
        apikey: p.anonKey,
        Authorization: `Bearer ${token ?? p.anonKey}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(body),
    })
  } catch (error) {
    throw fromTransportError(error)
  }
  const text = await response.text()
  let payload: unknown = null
  try {
    payload = text === '' ? null : (JSON.parse(text) as unknown)
  } catch {
    payload = null
  }
  return { status: response.status, payload }
}

/** Functions answer {code, message}; the message is Chinese and meant for users. */
export function errorBody(payload: unknown): BackendErrorBody | null {
  if (!payload || typeof payload !== 'object') return null
  const p = payload as Record<string, unknown>
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
  return { code: text(p.code) ?? text(p.error), message: text(p.message), hint: text(p.hint) ?? text(p.message) }
}

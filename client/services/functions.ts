import { taroFetch } from './adapters/taro-fetch'
import { ensureFreshSession, relogin } from './auth'
import { functionUrl, supabaseAnonKey } from './env'
import { ApiError, fromTransportError, messageFor, toApiError, type BackendErrorBody } from './errors'

/**
 * Call an edge function (POST /functions/v1/<name>, JSON in and out) as the signed-in
 * member. Errors come back as ApiError exactly like rpc(): a stable code and Chinese text.
 * A 401 triggers one re-login and one retry, as for RPCs.
 */
export async function invokeFunction<T>(name: string, body: Record<string, unknown>): Promise<T> {
  const session = await ensureFreshSession()
  let result = await post(name, body, session?.access_token ?? null)
  if (result.status === 401 && session) {
    const renewed = await relogin()
    if (renewed) result = await post(name, body, renewed.access_token)
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

async function post(name: string, body: Record<string, unknown>, token: string | null): Promise<RawResult> {
  let response
  try {
    response = await taroFetch(functionUrl(name), {
      method: 'POST',
      headers: {
        apikey: supabaseAnonKey,
        Authorization: `Bearer ${token ?? supabaseAnonKey}`,
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
function errorBody(payload: unknown): BackendErrorBody | null {
  if (!payload || typeof payload !== 'object') return null
  const p = payload as Record<string, unknown>
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null)
  return { code: text(p.code) ?? text(p.error), message: text(p.message), hint: text(p.hint) ?? text(p.message) }
}

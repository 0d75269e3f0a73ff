import Taro from '@tarojs/taro'
import { TaroHeaders, type HeadersLike } from './headers'

/**
 * `fetch` over Taro.request, so supabase-js runs where there is no fetch (WeChat) and
 * takes the same path on H5 (Taro.request uses the browser's fetch there).
 *
 * The body is asked for as text (dataType/responseType 'text'): postgrest-js parses JSON
 * itself and needs the raw text to tell an empty body from `null`.
 */

/** The parts of Response that supabase-js reads. */
export interface ResponseLike {
  readonly ok: boolean
  readonly status: number
  readonly statusText: string
  readonly url: string
  readonly redirected: boolean
  readonly type: 'basic'
  readonly bodyUsed: boolean
  readonly headers: TaroHeaders
  text(): Promise<string>
  json(): Promise<unknown>
  clone(): ResponseLike
}

export interface FetchInit {
  method?: string
  headers?: HeadersLike | null
  body?: unknown
  signal?: AbortSignalLike | null
}

/** AbortSignal as far as we use it; wx has no AbortController, callers may still pass one. */
interface AbortSignalLike {
  readonly aborted: boolean
  addEventListener(type: 'abort', listener: () => void): void
  removeEventListener(type: 'abort', listener: () => void): void
}

type TaroMethod = NonNullable<Taro.request.Option['method']>

/** wx.request has no PATCH (PLATFORM-NOTES.md); the API is RPC over POST/GET anyway. */
const METHODS: readonly TaroMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS']

/** Error thrown for transport failures, shaped like fetch's (a failed fetch rejects). */
export class FetchError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FetchError'
    // Babel may compile classes to ES5 for mini builds; keep instanceof working.
    Object.setPrototypeOf(this, FetchError.prototype)
  }
}

export async function taroFetch(input: string | { href: string } | { url: string }, init: FetchInit = {}): Promise<ResponseLike> {
  const url = urlOf(input)
  const method = methodOf(init.method)
  const signal = init.signal ?? undefined
  if (signal?.aborted) throw abortError()

  const task = Taro.request<string>({
    url,
    method,
    header: new TaroHeaders(init.headers).toRecord(),
    data: bodyOf(init.body),
    dataType: 'text',
    responseType: 'text',
  })
  // Interceptors may hand back a promise without abort(); then the request just runs on.
  const onAbort = (): void => {
    if (typeof task.abort === 'function') task.abort()
  }
  signal?.addEventListener('abort', onAbort)
  try {
    const result = await task
    return makeResponse(url, result.statusCode, result.header, result.data)
  } catch (error) {
    if (signal?.aborted) throw abortError()
    throw new FetchError(errorMessage(error))
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

function urlOf(input: string | { href: string } | { url: string }): string {
  if (typeof input === 'string') return input
  return 'href' in input ? input.href : input.url
}

function methodOf(method: string | undefined): TaroMethod {
  const upper = (method ?? 'GET').toUpperCase()
  const found = METHODS.find((m) => m === upper)
  if (!found) throw new FetchError(`HTTP method ${upper} is not supported by Taro.request`)
  return found
}

function bodyOf(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return body
  // Anything else (FormData, Blob, streams) cannot cross wx.request as text.
  throw new FetchError('Only string request bodies are supported')
}

function makeResponse(url: string, status: number, header: unknown, data: unknown): ResponseLike {
  // Some runtimes ignore dataType 'text' and hand back parsed JSON; turn it back into text.
  const text = typeof data === 'string' ? data : data === undefined || data === null ? '' : JSON.stringify(data)
  const headers = new TaroHeaders(plainHeaders(header))
  const response: ResponseLike = {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    url,
    redirected: false,
    type: 'basic',
    bodyUsed: false,
    headers,
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    clone: () => makeResponse(url, status, header, data),
  }
  return response
}

function plainHeaders(header: unknown): Record<string, string> {
  const record: Record<string, string> = {}
  if (header && typeof header === 'object') {
    Object.entries(header as Record<string, unknown>).forEach(([name, value]) => {
      if (value !== undefined && value !== null) record[name] = String(value)
    })
  }
  return record
}

function abortError(): Error {
  const error = new Error('The operation was aborted.')
  error.name = 'AbortError'
  return error
}

function errorMessage(error: unknown): string {
  if (error && typeof error === 'object') {
    const { errMsg, message } = error as { errMsg?: unknown; message?: unknown }
    if (typeof errMsg === 'string') return errMsg
    if (typeof message === 'string') return message
  }
  return String(error)
}

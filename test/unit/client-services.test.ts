/**
 * Client services (client/services) against a mocked Taro: the fetch adapter, error
 * mapping, login and rpc() through the real supabase-js.
 *
 * Taro is mocked at the module boundary (request, login, storage); everything above it
 * is the code the app ships. TARO_ENV is set to 'weapp' before the modules load, so the
 * WeChat login and re-login paths are the ones exercised.
 */
import type * as AuthModule from '../../client/services/auth'
import type * as ErrorsModule from '../../client/services/errors'
import type * as FetchModule from '../../client/services/adapters/taro-fetch'
import type * as HeadersModule from '../../client/services/adapters/headers'
import type * as SessionModule from '../../client/services/session'
import type * as SupabaseModule from '../../client/services/supabase'

interface TaroRequestOptions {
  url: string
  method: string
  header: Record<string, string>
  data?: string
  dataType?: string
  responseType?: string
}

interface TaroRequestResult {
  statusCode: number
  data: string
  header: Record<string, string>
}

type Handler = (options: TaroRequestOptions) => TaroRequestResult | Promise<TaroRequestResult>

const mockStorage = new Map<string, unknown>()
const mockRequests: TaroRequestOptions[] = []
let mockHandler: Handler = () => {
  throw new Error('no handler set')
}
let mockLoginCode = 'code-1'
const mockLogin = jest.fn(async () => ({ code: mockLoginCode, errMsg: 'login:ok' }))

jest.mock('@tarojs/taro', () => ({
  __esModule: true,
  default: {
    request: (options: TaroRequestOptions) => {
      mockRequests.push(options)
      const promise = Promise.resolve().then(() => mockHandler(options))
      return Object.assign(promise, { abort: jest.fn() })
    },
    login: () => mockLogin(),
    getStorageSync: (key: string) => (mockStorage.has(key) ? mockStorage.get(key) : ''),
    setStorageSync: (key: string, value: unknown) => void mockStorage.set(key, value),
    removeStorageSync: (key: string) => void mockStorage.delete(key),
    connectSocket: () => new Promise(() => undefined),
  },
}))

process.env.TARO_ENV = 'weapp'
/* eslint-disable @typescript-eslint/no-require-imports -- loaded after TARO_ENV is set */
// any name: these tests are about the request path, not about one function's types
const rpc = (require('../../client/services/supabase') as typeof SupabaseModule).rpc as unknown as <T = unknown>(fn: string, args?: Record<string, unknown>) => Promise<T>
const auth = require('../../client/services/auth') as typeof AuthModule
const { ApiError, toApiError } = require('../../client/services/errors') as typeof ErrorsModule
const { taroFetch, FetchError } = require('../../client/services/adapters/taro-fetch') as typeof FetchModule
const { TaroHeaders } = require('../../client/services/adapters/headers') as typeof HeadersModule
const session = require('../../client/services/session') as typeof SessionModule
/* eslint-enable @typescript-eslint/no-require-imports */

const BASE = 'http://127.0.0.1:54321'
const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function json(statusCode: number, body: unknown, header: Record<string, string> = {}): TaroRequestResult {
  return { statusCode, data: JSON.stringify(body), header: { 'Content-Type': 'application/json', ...header } }
}

function headerOf(options: TaroRequestOptions, name: string): string | undefined {
  const key = Object.keys(options.header).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : options.header[key]
}

function storeSession(token: string, expiresAt: number, method: SessionModule.LoginMethod = 'wechat'): void {
  session.writeSession({ access_token: token, expires_at: expiresAt, method, user: { id: 'u1', member_code: 'M1' } })
}

function loginAnswer(token: string): TaroRequestResult {
  return json(200, { access_token: token, expires_at: nowSeconds() + 3600, user: { id: 'u1', member_code: 'M1' } })
}

beforeEach(() => {
  mockStorage.clear()
  mockRequests.length = 0
  mockLogin.mockClear()
  mockLoginCode = 'code-1'
})

describe('TaroHeaders', () => {
  it('is case-insensitive, combines appends and iterates sorted', () => {
    const headers = new TaroHeaders({ 'Content-Type': 'application/json', apikey: 'k', Skip: undefined })
    headers.append('Accept', 'a')
    headers.append('accept', 'b')
    expect(headers.get('content-type')).toBe('application/json')
    expect(headers.get('ACCEPT')).toBe('a, b')
    expect(headers.has('skip')).toBe(false)
    expect(Array.from(headers.keys())).toEqual(['accept', 'apikey', 'content-type'])
    headers.delete('Accept')
    expect(headers.toRecord()).toEqual({ apikey: 'k', 'content-type': 'application/json' })
    expect(new TaroHeaders(headers).get('apikey')).toBe('k')
    expect(new TaroHeaders([['X-A', '1']]).get('x-a')).toBe('1')
    expect(() => headers.set('bad name', 'x')).toThrow(TypeError)
  })
})

describe('taroFetch', () => {
  it('sends through Taro.request as text and answers like a Response', async () => {
    mockHandler = () => json(201, { ok: true }, { 'Content-Range': '0-0/1' })
    const response = await taroFetch(`${BASE}/rest/v1/rpc/x`, {
      method: 'post',
      headers: new TaroHeaders({ Authorization: 'Bearer t' }),
      body: '{"a":1}',
    })
    expect(mockRequests[0]).toMatchObject({
      url: `${BASE}/rest/v1/rpc/x`,
      method: 'POST',
      header: { authorization: 'Bearer t' },
      data: '{"a":1}',
      dataType: 'text',
      responseType: 'text',
    })
    expect(response.ok).toBe(true)
    expect(response.status).toBe(201)
    expect(response.headers.get('content-range')).toBe('0-0/1')
    expect(await response.text()).toBe('{"ok":true}')
    expect(await response.clone().json()).toEqual({ ok: true })
  })

  it('re-serialises a body the runtime parsed despite dataType text', async () => {
    mockHandler = () => ({ statusCode: 200, data: { a: 1 } as unknown as string, header: {} })
    expect(await (await taroFetch(`${BASE}/x`)).text()).toBe('{"a":1}')
  })

  it('rejects PATCH (wx.request has none) and transport failures as FetchError', async () => {
    await expect(taroFetch(`${BASE}/x`, { method: 'PATCH' })).rejects.toBeInstanceOf(FetchError)
    mockHandler = () => {
      throw { errMsg: 'request:fail timeout' }
    }
    await expect(taroFetch(`${BASE}/x`)).rejects.toThrow('request:fail timeout')
  })
})

describe('toApiError', () => {
  it('takes the stable code from a P0001 message and the Chinese hint as the message', () => {
    const error = toApiError({ code: 'P0001', message: 'queue_closed', hint: '该队列已关闭' }, 400)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'queue_closed', message: '该队列已关闭', hint: '该队列已关闭', status: 400 })
  })

  it.each([
    [{ code: 'PGRST301', message: 'JWT expired' }, 401, 'unauthorized', '登录已失效，请重新登录'],
    [{ code: '42501', message: 'permission denied for function me' }, 403, 'forbidden', '没有权限进行此操作'],
    [{ code: 'PGRST202', message: 'Could not find the function' }, 404, 'not_found', '请求的内容不存在'],
    [{ code: '57014', message: 'canceling statement due to statement timeout' }, 500, 'timeout', '请求超时，请稍后重试'],
    [{ code: 'XX000', message: 'internal' }, 500, 'server_error', '服务暂时不可用，请稍后重试'],
    [{ code: '', message: 'FetchError: request:fail' }, 0, 'network_error', '网络异常，请稍后重试'],
    [{ code: 'P0001', message: 'queue_closed', hint: 'queue is closed' }, 400, 'queue_closed', '操作失败，请稍后重试'],
    [null, 418, 'unknown_error', '操作失败，请稍后重试'],
  ])('maps %j (status %p) to %p without showing raw text', (body, status, code, message) => {
    expect(toApiError(body, status)).toMatchObject({ code, message })
  })
})

describe('login', () => {
  it('trades a wx.login code at wechat-login (as anon) and stores the session', async () => {
    mockHandler = () => loginAnswer('jwt-1')
    const result = await auth.loginWithWechat()
    const [request] = mockRequests
    expect(request.url).toBe(`${BASE}/functions/v1/wechat-login`)
    expect(request.method).toBe('POST')
    expect(JSON.parse(request.data ?? '')).toEqual({ code: 'code-1' })
    const apikey = headerOf(request, 'apikey')
    expect(apikey).toBeTruthy()
    expect(headerOf(request, 'Authorization')).toBe(`Bearer ${apikey}`)
    expect(result).toMatchObject({ access_token: 'jwt-1', method: 'wechat', user: { member_code: 'M1' } })
    expect(session.validAccessToken()).toBe('jwt-1')
  })

  it('dev login posts the member code to dev-login', async () => {
    mockHandler = () => loginAnswer('jwt-dev')
    await auth.loginAsDemoMember('DEMO0002')
    expect(mockRequests[0].url).toBe(`${BASE}/functions/v1/dev-login`)
    expect(JSON.parse(mockRequests[0].data ?? '')).toEqual({ member_code: 'DEMO0002' })
    expect(session.readSession()).toMatchObject({ method: 'dev', access_token: 'jwt-dev' })
  })

  it('turns a refused login into ApiError with a Chinese message', async () => {
    mockHandler = () => json(401, { code: 'invalid_code', hint: '登录凭证无效，请重试' })
    await expect(auth.loginWithWechat()).rejects.toMatchObject({ code: 'invalid_code', message: '登录凭证无效，请重试' })
    mockHandler = () => json(401, { error: 'Unauthorized' })
    await expect(auth.loginWithWechat()).rejects.toMatchObject({ code: 'login_failed', message: '登录失败，请稍后重试' })
    mockHandler = () => json(200, { token: 'wrong shape' })
    await expect(auth.loginWithWechat()).rejects.toMatchObject({ code: 'bad_response' })
    expect(session.readSession()).toBeNull()
  })

  it('reports wx.login failure', async () => {
    mockLogin.mockRejectedValueOnce({ errMsg: 'login:fail' })
    await expect(auth.loginWithWechat()).rejects.toMatchObject({ code: 'wechat_login_failed', message: '微信登录失败，请稍后重试' })
    expect(mockRequests).toHaveLength(0)
  })
})

describe('rpc', () => {
  it('POSTs to /rest/v1/rpc/<fn> with the stored token and returns the data', async () => {
    storeSession('jwt-ok', nowSeconds() + 3600)
    mockHandler = () => json(200, [{ id: 'u1' }])
    await expect(rpc<Array<{ id: string }>>('me', { p_x: 1 })).resolves.toEqual([{ id: 'u1' }])
    const [request] = mockRequests
    expect(request.url).toBe(`${BASE}/rest/v1/rpc/me`)
    expect(request.method).toBe('POST')
    expect(JSON.parse(request.data ?? '')).toEqual({ p_x: 1 })
    expect(headerOf(request, 'Authorization')).toBe('Bearer jwt-ok')
  })

  it('goes out as anon when nobody is logged in', async () => {
    mockHandler = () => json(200, [])
    await rpc('public_thing')
    expect(headerOf(mockRequests[0], 'Authorization')).toBe(`Bearer ${headerOf(mockRequests[0], 'apikey')}`)
  })

  it('throws the stable code and Chinese hint of a database exception', async () => {
    storeSession('jwt-ok', nowSeconds() + 3600)
    mockHandler = () => json(400, { code: 'P0001', message: 'insufficient_balance', hint: '余额不足', details: null })
    const error: unknown = await rpc('spend').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ code: 'insufficient_balance', message: '余额不足', status: 400 })
  })

  it('throws network_error in Chinese when the request cannot be sent', async () => {
    mockHandler = () => {
      throw { errMsg: 'request:fail net::ERR_CONNECTION_REFUSED' }
    }
    await expect(rpc('me')).rejects.toMatchObject({ code: 'network_error', message: '网络异常，请稍后重试', status: 0 })
  })

  it('logs in again once on 401 and retries with the new token', async () => {
    storeSession('jwt-revoked', nowSeconds() + 3600)
    mockLoginCode = 'code-2'
    mockHandler = (options) => {
      if (options.url.endsWith('/functions/v1/wechat-login')) return loginAnswer('jwt-new')
      return headerOf(options, 'Authorization') === 'Bearer jwt-new'
        ? json(200, [{ id: 'u1' }])
        : json(401, { code: 'PGRST301', message: 'JWT expired' })
    }
    await expect(rpc('me')).resolves.toEqual([{ id: 'u1' }])
    expect(mockRequests.map((r) => r.url.replace(BASE, ''))).toEqual([
      '/rest/v1/rpc/me',
      '/functions/v1/wechat-login',
      '/rest/v1/rpc/me',
    ])
    expect(JSON.parse(mockRequests[1].data ?? '')).toEqual({ code: 'code-2' })
  })

  it('gives up after one re-login and reports unauthorized', async () => {
    storeSession('jwt-revoked', nowSeconds() + 3600)
    mockHandler = (options) =>
      options.url.endsWith('/wechat-login') ? loginAnswer('jwt-also-refused') : json(401, { code: 'PGRST301', message: 'JWT invalid' })
    await expect(rpc('me')).rejects.toMatchObject({ code: 'unauthorized', message: '登录已失效，请重新登录' })
    expect(mockRequests.filter((r) => r.url.endsWith('/rpc/me'))).toHaveLength(2)
  })

  it('keeps the session when re-login fails offline, drops it when the server refuses', async () => {
    storeSession('jwt-old', nowSeconds() - 10)
    mockHandler = () => {
      throw { errMsg: 'request:fail' }
    }
    await expect(rpc('me')).rejects.toMatchObject({ code: 'network_error' })
    expect(session.readSession()).toMatchObject({ access_token: 'jwt-old' })
    mockHandler = () => json(403, { code: 'member_disabled', hint: '账号已停用' })
    await expect(rpc('me')).rejects.toMatchObject({ code: 'member_disabled', message: '账号已停用' })
    expect(session.readSession()).toBeNull()
  })

  it('renews an expired session before calling, with one login for concurrent calls', async () => {
    storeSession('jwt-old', nowSeconds() - 10)
    mockHandler = (options) => (options.url.endsWith('/wechat-login') ? loginAnswer('jwt-fresh') : json(200, [1]))
    await Promise.all([rpc('a'), rpc('b'), rpc('c')])
    expect(mockLogin).toHaveBeenCalledTimes(1)
    const rpcs = mockRequests.filter((r) => r.url.includes('/rest/v1/rpc/'))
    expect(rpcs.map((r) => headerOf(r, 'Authorization'))).toEqual(['Bearer jwt-fresh', 'Bearer jwt-fresh', 'Bearer jwt-fresh'])
  })
})

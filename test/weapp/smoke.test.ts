/**
 * Smoke test of the real WeChat build (dist/weapp, from `npm run build:weapp`).
 *
 * miniprogram-simulate cannot load Taro's output, so this runs the emitted files in a
 * Node `vm` context that looks like the WeChat JS runtime: stub `wx`, `App`, `Page`,
 * `Component`, `getApp`, `getCurrentPages`, `requirePlugin`, timers and console, and none
 * of the browser/Node globals WeChat lacks (fetch, Headers, WebSocket, URL, localStorage,
 * TextEncoder, AbortController, process, Buffer). If the build leans on any of those,
 * the page crashes here as it would on a phone.
 *
 * The sandbox's timers are Node's, tracked: a timer the build leaves running would keep jest's
 * worker alive after the last test (the hang seen when this test first opened more pages), so
 * each harness stops what is left in afterAll and the every-page test asserts no interval
 * survives closing the pages.
 *
 * It then checks the first-run path of the home page (队列进度): it renders, logs in through
 * wx.login → wx.request to /functions/v1/wechat-login, and loads the display settings, my
 * entries and unread messages through wx.request with the token it was given.
 */
import fs from 'node:fs'
import path from 'node:path'
import vm from 'node:vm'

const DIST = path.resolve(__dirname, '../../dist/weapp')
const built = fs.existsSync(path.join(DIST, 'app.json'))
const required = Boolean(process.env.WEAPP_REQUIRED)

if (!built && !required) {
  // Visible in the jest output; `npm test` builds first and sets nothing to skip.
  console.warn('test/weapp/smoke.test.ts skipped: dist/weapp is missing. Run `npm run build:weapp` (set WEAPP_REQUIRED=1 to make this a failure).')
}

const describeBuilt = built || required ? describe : describe.skip

/** Globals WeChat does not have; the sandbox must not have them either. */
const ABSENT_GLOBALS = [
  'fetch',
  'Headers',
  'Request',
  'Response',
  'WebSocket',
  'URL',
  'URLSearchParams',
  'localStorage',
  'sessionStorage',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'process',
  'Buffer',
  'window',
  'document',
  'navigator',
  'global',
] as const

const LOGIN_CODE = 'wx-login-code-1'
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzbW9rZSJ9.c21va2UtdG9rZW4'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Callback = (result: Record<string, unknown>) => void

interface WxCallbacks {
  success?: Callback
  fail?: Callback
  complete?: Callback
}

interface WxRequestOptions extends WxCallbacks {
  url: string
  method?: string
  header?: Record<string, string>
  data?: unknown
  dataType?: string
  responseType?: string
}

/** One wx.request call; the test answers it with respond(). */
interface RecordedRequest {
  url: string
  method: string
  header: Record<string, string>
  data: unknown
  dataType?: string
  responseType?: string
  answered: boolean
  respond(statusCode: number, body: Json, header?: Record<string, string>): void
}

interface PageInstance {
  route: string
  __route__: string
  options: Record<string, string>
  data: Record<string, unknown>
  setData(data: Record<string, unknown>, callback?: () => void): void
  [key: string]: unknown
}

type Lifecycle = (this: unknown, ...args: unknown[]) => unknown

/** Everything the sandbox records, for the assertions. */
class WeappHarness {
  readonly requests: RecordedRequest[] = []
  readonly setDataCalls: Array<Record<string, unknown>> = []
  readonly errors: unknown[][] = []
  readonly storage = new Map<string, unknown>()
  appConfig: Record<string, unknown> | null = null
  readonly pageConfigs: Array<Record<string, unknown>> = []
  readonly pages: PageInstance[] = []
  readonly context: vm.Context
  /** Timers the build started and has not cleared (or, for timeouts, that have not fired yet). */
  readonly timers = new Map<ReturnType<typeof setTimeout>, { kind: 'timeout' | 'interval'; ms: number }>()
  private readonly modules = new Map<string, { exports: unknown }>()

  constructor() {
    this.context = vm.createContext(this.sandbox())
  }

  /** Run a file of the build as WeChat does: a CommonJS-style module in the shared context. */
  require(file: string): unknown {
    const filename = path.resolve(DIST, file.endsWith('.js') ? file : `${file}.js`)
    const cached = this.modules.get(filename)
    if (cached) return cached.exports
    const module = { exports: {} as unknown }
    this.modules.set(filename, module)
    const source = fs.readFileSync(filename, 'utf8')
    const wrapper = vm.runInContext(`(function (require, module, exports) {\n${source}\n})`, this.context, { filename }) as (
      req: (id: string) => unknown,
      mod: { exports: unknown },
      exp: unknown,
    ) => void
    const localRequire = (id: string): unknown => this.require(path.relative(DIST, path.resolve(path.dirname(filename), id)))
    try {
      wrapper(localRequire, module, module.exports)
    } catch (error) {
      // Re-throw with a short message: jest would otherwise print a frame of minified code.
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
      throw new Error(`loading dist/weapp/${path.relative(DIST, filename)} failed: ${reason}`)
    }
    return module.exports
  }

  /** Create a page instance from its Page() options, the way the WeChat framework does. */
  instantiatePage(config: Record<string, unknown>, route: string): PageInstance {
    const recordSetData = (data: Record<string, unknown>): void => {
      this.setDataCalls.push(data)
    }
    const page = Object.assign(Object.create(null) as object, config, {
      route,
      __route__: route,
      options: {},
      data: { ...(config.data as Record<string, unknown> | undefined) },
      setData(this: PageInstance, data: Record<string, unknown>, callback?: () => void): void {
        recordSetData(data)
        Object.keys(data).forEach((key) => setPath(this.data, key, data[key]))
        if (callback) setTimeout(callback, 0)
      },
    }) as PageInstance
    this.pages.push(page)
    return page
  }

  /** Stop every timer the build left behind (afterAll), so the worker can exit. */
  dispose(): void {
    this.timers.forEach((_, handle) => clearTimeout(handle))
    this.timers.clear()
  }

  /** Answer every request not answered yet (pages that were left loading). */
  answerPending(statusCode: number, body: Json): void {
    this.requests.filter((r) => !r.answered).forEach((r) => r.respond(statusCode, body))
  }

  /** The text the page currently shows: every text node value in its data tree. */
  pageText(page: PageInstance): string {
    const texts: string[] = []
    collectText(page.data, texts)
    return texts.join('|')
  }

  async waitForRequest(match: (request: RecordedRequest) => boolean, what: string): Promise<RecordedRequest> {
    return waitFor(() => this.requests.find(match), `${what}; requests so far: ${this.describeRequests()}${this.describeErrors()}`)
  }

  describeRequests(): string {
    return JSON.stringify(this.requests.map((r) => `${r.method} ${r.url}`))
  }

  describeErrors(): string {
    return this.errors.length ? `; console.error: ${this.errors.map((e) => e.map(String).join(' ')).join(' / ')}` : ''
  }

  private sandbox(): Record<string, unknown> {
    const harness = this
    const later = (fn: () => void): void => {
      setTimeout(fn, 0)
    }
    const succeed = (options: WxCallbacks | undefined, result: Record<string, unknown>): void => {
      later(() => {
        options?.success?.(result)
        options?.complete?.(result)
      })
    }
    const systemInfo = {
      brand: 'devtools',
      model: 'iPhone 12',
      pixelRatio: 3,
      screenWidth: 390,
      screenHeight: 844,
      windowWidth: 390,
      windowHeight: 844,
      statusBarHeight: 47,
      language: 'zh_CN',
      version: '8.0.50',
      system: 'iOS 16.0',
      platform: 'devtools',
      SDKVersion: '3.5.0',
      safeArea: { top: 47, left: 0, right: 390, bottom: 810, width: 390, height: 763 },
    }
    const wx: Record<string, unknown> = {
      request(options: WxRequestOptions) {
        let settled = false
        const recorded: RecordedRequest = {
          url: options.url,
          method: (options.method ?? 'GET').toUpperCase(),
          header: { ...options.header },
          data: options.data,
          dataType: options.dataType,
          responseType: options.responseType,
          answered: false,
          respond(statusCode, body, header = { 'content-type': 'application/json; charset=utf-8' }) {
            if (settled) throw new Error(`request to ${options.url} answered twice`)
            settled = true
            recorded.answered = true
            // dataType 'text' means WeChat hands the body over unparsed.
            const data = options.dataType === 'text' ? JSON.stringify(body) : body
            succeed(options, { statusCode, data, header, errMsg: 'request:ok' })
          },
        }
        harness.requests.push(recorded)
        return { abort() {}, onHeadersReceived() {}, offHeadersReceived() {}, onChunkReceived() {} }
      },
      login(options?: WxCallbacks) {
        succeed(options, { code: LOGIN_CODE, errMsg: 'login:ok' })
      },
      connectSocket() {
        throw new Error('the member page must not open a socket')
      },
      getStorageSync: (key: string) => (harness.storage.has(key) ? harness.storage.get(key) : ''),
      setStorageSync: (key: string, value: unknown) => void harness.storage.set(key, value),
      removeStorageSync: (key: string) => void harness.storage.delete(key),
      clearStorageSync: () => harness.storage.clear(),
      getStorage(options: WxCallbacks & { key: string }) {
        if (harness.storage.has(options.key)) succeed(options, { data: harness.storage.get(options.key), errMsg: 'getStorage:ok' })
        else later(() => options.fail?.({ errMsg: 'getStorage:fail data not found' }))
      },
      setStorage(options: WxCallbacks & { key: string; data: unknown }) {
        harness.storage.set(options.key, options.data)
        succeed(options, { errMsg: 'setStorage:ok' })
      },
      getSystemInfoSync: () => ({ ...systemInfo }),
      getSystemInfo: (options?: WxCallbacks) => succeed(options, { ...systemInfo }),
      getWindowInfo: () => ({ ...systemInfo }),
      getDeviceInfo: () => ({ ...systemInfo }),
      getAppBaseInfo: () => ({ ...systemInfo }),
      getMenuButtonBoundingClientRect: () => ({ top: 51, left: 281, right: 368, bottom: 83, width: 87, height: 32 }),
      getLaunchOptionsSync: () => ({ path: 'pages/index/index', query: {}, scene: 1001 }),
      getEnterOptionsSync: () => ({ path: 'pages/index/index', query: {}, scene: 1001 }),
      canIUse: () => true,
      // NutUI Tabs measures its titles: answer as for an empty layout (zero-sized, nothing found).
      createSelectorQuery() {
        const results: unknown[] = []
        const rect = { width: 0, height: 0, top: 0, left: 0, right: 0, bottom: 0 }
        const query = {
          in: () => query,
          select: () => (results.push(rect), query),
          selectAll: () => (results.push([]), query),
          selectViewport: () => (results.push(rect), query),
          boundingClientRect: () => query,
          scrollOffset: () => query,
          fields: () => query,
          exec: (callback?: (result: unknown[]) => void) => later(() => callback?.(results)),
        }
        return query
      },
      nextTick: (fn: () => void) => later(fn),
      onAppShow() {},
      onAppHide() {},
      offAppShow() {},
      offAppHide() {},
      onError() {},
      onUnhandledRejection() {},
      showToast: (options?: WxCallbacks) => succeed(options, { errMsg: 'showToast:ok' }),
      hideToast: (options?: WxCallbacks) => succeed(options, { errMsg: 'hideToast:ok' }),
      showLoading: (options?: WxCallbacks) => succeed(options, { errMsg: 'showLoading:ok' }),
      hideLoading: (options?: WxCallbacks) => succeed(options, { errMsg: 'hideLoading:ok' }),
      showModal: (options?: WxCallbacks) => succeed(options, { confirm: true, cancel: false, errMsg: 'showModal:ok' }),
      setNavigationBarTitle: (options?: WxCallbacks) => succeed(options, { errMsg: 'setNavigationBarTitle:ok' }),
      navigateTo: (options?: WxCallbacks) => succeed(options, { errMsg: 'navigateTo:ok' }),
      redirectTo: (options?: WxCallbacks) => succeed(options, { errMsg: 'redirectTo:ok' }),
      switchTab: (options?: WxCallbacks) => succeed(options, { errMsg: 'switchTab:ok' }),
      navigateBack: (options?: WxCallbacks) => succeed(options, { errMsg: 'navigateBack:ok' }),
      reLaunch: (options?: WxCallbacks) => succeed(options, { errMsg: 'reLaunch:ok' }),
    }
    const recordingConsole = {
      log: () => undefined,
      info: () => undefined,
      debug: () => undefined,
      warn: () => undefined,
      error: (...args: unknown[]) => void harness.errors.push(args),
    }
    // The build's timers run on Node's, but tracked: a timer the app leaves running (an
    // interval nobody clears, a poll that never ends) would keep jest's worker alive after
    // the last test ("Jest did not exit"), so the tests can see them and dispose() ends them.
    const timers = harness.timers
    const sandboxSetTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const handle = setTimeout(() => {
        timers.delete(handle)
        fn(...args)
      }, ms)
      timers.set(handle, { kind: 'timeout', ms: ms ?? 0 })
      return handle
    }
    const sandboxSetInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const handle = setInterval(() => fn(...args), ms)
      timers.set(handle, { kind: 'interval', ms: ms ?? 0 })
      return handle
    }
    const sandboxClear = (handle?: ReturnType<typeof setTimeout>) => {
      if (handle === undefined || handle === null) return
      timers.delete(handle)
      clearTimeout(handle)
    }
    return {
      wx,
      console: recordingConsole,
      setTimeout: sandboxSetTimeout,
      clearTimeout: sandboxClear,
      setInterval: sandboxSetInterval,
      clearInterval: sandboxClear,
      App(config: Record<string, unknown>) {
        harness.appConfig = config
      },
      Page(config: Record<string, unknown>) {
        harness.pageConfigs.push(config)
      },
      Component() {
        // Taro's shared custom component (comp.js); not exercised by this page.
      },
      getApp: () => harness.appConfig,
      getCurrentPages: () => harness.pages,
      requirePlugin: () => {
        throw new Error('no plugins in this app')
      },
    }
  }
}

/** Apply one setData key ('root.cn.[0].v' or 'a.b[1].c') to the data tree. */
function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((part) => part !== '')
  let node: Record<string, unknown> = target
  parts.slice(0, -1).forEach((part, index) => {
    if (node[part] === null || typeof node[part] !== 'object') {
      node[part] = /^\d+$/.test(parts[index + 1]) ? [] : {}
    }
    node = node[part] as Record<string, unknown>
  })
  node[parts[parts.length - 1]] = value
}

/** Taro keeps a text node's content in `v`. */
function collectText(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    node.forEach((child) => collectText(child, out))
  } else if (node && typeof node === 'object') {
    Object.entries(node as Record<string, unknown>).forEach(([key, value]) => {
      if (key === 'v' && typeof value === 'string') out.push(value)
      else collectText(value, out)
    })
  }
}

async function waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function call(config: Record<string, unknown>, name: string, self: unknown, ...args: unknown[]): unknown {
  const fn = config[name]
  if (typeof fn !== 'function') throw new Error(`${name} is not a lifecycle of this config`)
  return (fn as Lifecycle).apply(self, args)
}

function parseBody(data: unknown): unknown {
  return typeof data === 'string' ? (JSON.parse(data) as unknown) : data
}

function headerOf(request: RecordedRequest, name: string): string | undefined {
  const key = Object.keys(request.header).find((k) => k.toLowerCase() === name.toLowerCase())
  return key === undefined ? undefined : request.header[key]
}

describeBuilt('weapp build (dist/weapp) in a WeChat-like sandbox', () => {
  let harness: WeappHarness
  let page: PageInstance

  afterAll(() => harness?.dispose())

  beforeAll(() => {
    if (!built) throw new Error('dist/weapp is missing (WEAPP_REQUIRED is set): run `npm run build:weapp` first')
    harness = new WeappHarness()
    const appJson = JSON.parse(fs.readFileSync(path.join(DIST, 'app.json'), 'utf8')) as { pages: string[] }
    expect(appJson.pages[0]).toBe('pages/index/index')

    harness.require('app')
    if (!harness.appConfig) throw new Error('app.js did not call App()')
    const launch = { path: appJson.pages[0], query: {}, scene: 1001 }
    call(harness.appConfig, 'onLaunch', harness.appConfig, launch)
    call(harness.appConfig, 'onShow', harness.appConfig, launch)

    harness.require(appJson.pages[0])
    expect(harness.pageConfigs).toHaveLength(1)
    page = harness.instantiatePage(harness.pageConfigs[0], appJson.pages[0])
    call(page, 'onLoad', page, {})
    call(page, 'onShow', page)
    call(page, 'onReady', page)
  })

  it('runs without the browser and Node globals WeChat lacks', () => {
    const present = ABSENT_GLOBALS.filter((name) => vm.runInContext(`typeof ${name}`, harness.context) !== 'undefined')
    expect(present).toEqual([])
  })

  it('renders the queue page (the home)', async () => {
    await waitFor(() => harness.setDataCalls.some((data) => Object.keys(data).some((k) => k === 'root' || k.startsWith('root.'))), 'a setData on the page root')
    await waitFor(() => /加载中/.test(harness.pageText(page)), `Chinese status text; page shows "${harness.pageText(page)}"${harness.describeErrors()}`)
  })

  it('logs in with wx.login through wx.request, then loads my entries with the new token', async () => {
    const login = await harness.waitForRequest((r) => r.url.endsWith('/functions/v1/wechat-login'), 'the wechat-login request')
    expect(login.method).toBe('POST')
    expect(parseBody(login.data)).toEqual({ code: LOGIN_CODE })
    const apikey = headerOf(login, 'apikey')
    expect(apikey).toBeTruthy()
    expect(headerOf(login, 'Authorization')).toBe(`Bearer ${apikey}`)

    login.respond(200, {
      access_token: TOKEN,
      expires_at: Math.floor(Date.now() / 1000) + 3600,
      user: { id: '00000000-0000-4000-8000-000000000001', member_code: 'M0000001' },
    })

    const rpcPath = (name: string) => (r: RecordedRequest) => r.url.includes(`/rest/v1/rpc/${name}`)
    const display = await harness.waitForRequest(rpcPath('rebate_display_settings'), 'the rebate_display_settings RPC')
    const entries = await harness.waitForRequest(rpcPath('my_entries'), 'the my_entries RPC')
    const messages = await harness.waitForRequest(rpcPath('my_messages'), 'the my_messages RPC')
    // which programme runs (SPEC §13): classic here, so the classic entry list shows
    const programme = await harness.waitForRequest(rpcPath('programme_info'), 'the programme_info RPC')
    for (const request of [display, entries, messages, programme]) {
      expect(request.method).toBe('POST')
      expect(headerOf(request, 'Authorization')).toBe(`Bearer ${TOKEN}`)
      expect(headerOf(request, 'apikey')).toBe(apikey)
      expect(request.dataType).toBe('text')
      expect(request.responseType).toBe('text')
    }
    expect(parseBody(entries.data)).toEqual({ p_limit: 20, p_status: 'waiting' })

    display.respond(200, [
      {
        enabled: true,
        display_name: '共享链',
        exchange_name: '兑积分',
        show_process: true,
        show_received: true,
        show_waiting: true,
        show_member_info: true,
        show_waiting_amount: true,
      },
    ])
    messages.respond(200, [])
    programme.respond(200, [{ programme_mode: 'classic', enabled: true, paused: false, union_quota_bps: 11000, payout_time: '00:10' }])
    entries.respond(200, [
      {
        entry_id: 7,
        queue_id: 3,
        queue_name: '商品队列·明前龙井',
        seq: 5,
        status: 'waiting',
        status_label: '排队中',
        entitlement_fen: 10000,
        received_fen: 2500,
        remaining_fen: 7500,
        closed_fen: 0,
        progress_bps: 2500,
        reward_bps: 10000,
        rule_code: 'plugin_default',
        rule_label: '默认比例',
        order_id: 11,
        order_no: '202611250000000011',
        item_name: '明前龙井',
        order_completed: false,
        created_at: '2026-11-25T02:00:00Z',
        ended_at: null,
        can_draw: false,
        drawn_bps: null,
        can_exchange: true,
        lottery_config: null,
        converted_asset: null,
        converted_amount: null,
        position: 2,
        ahead_count: 1,
        ahead_amount_fen: 5000,
        inflow_7d_fen: null,
        inflow_30d_fen: null,
        queue_created_at: null,
      },
    ])

    await waitFor(() => harness.pageText(page).includes('第 2 位'), `the entry; page shows "${harness.pageText(page)}"${harness.describeErrors()}`)
    // the waiting entry asks the projection function for its estimate (docs/projection.md)
    const projection = await harness.waitForRequest((r) => r.url.endsWith('/functions/v1/projection'), 'the projection request')
    expect(typeof projection.data === 'string' ? JSON.parse(projection.data) : projection.data).toEqual({ entry_id: 7 })
    projection.respond(200, { entry_id: 7, queue_id: 3, status: 'waiting', estimate: { kind: 'unknown', reason: 'short_history' },
      headline: '无法估计', note: '队列的历史不足 7 天，无法估计' })
    await waitFor(() => harness.pageText(page).includes('历史不足'), `the estimate; page shows "${harness.pageText(page)}"${harness.describeErrors()}`)
    const text = harness.pageText(page)
    expect(text).toContain('共享链')
    expect(text).toContain('明前龙井')
    expect(text).toContain('¥25.00')
    expect(text).toContain('¥100.00')
    expect(text).toContain('¥75.00')
    expect(text).toContain('25%')
    expect(text).toContain('前面 1 个名额，还需 ¥50.00')
    expect(text).toContain('无法估计')
    expect(text).toContain('兑积分')
    // One login and one load: onLoad + onShow must not double the requests.
    expect(harness.requests.map((r) => new URL(r.url).pathname).sort()).toEqual(
      ['/functions/v1/wechat-login', '/functions/v1/projection', '/rest/v1/rpc/my_entries', '/rest/v1/rpc/my_messages',
        '/rest/v1/rpc/programme_info', '/rest/v1/rpc/rebate_display_settings'].sort(),
    )
    expect(harness.errors).toEqual([])
  })
})

/** Options a page may read from its route; the pages ignore what they do not use. */
const PAGE_OPTIONS: Record<string, string> = { id: '1', entry_id: '7', order_id: '11', product_id: '1', quantity: '1', store_id: '1', asset: 'cash' }

/** Pages whose 转发 / 朋友圈 carry the member's invite (enableShareAppMessage and enableShareTimeline). */
const SHARING_PAGES = ['pages/index/index', 'packages/shop/detail/index', 'packages/invite/index', 'packages/invite/poster/index']

describeBuilt('every page of app.json opens in the sandbox', () => {
  let harness: WeappHarness
  let routes: string[] = []

  afterAll(() => harness?.dispose())

  beforeAll(() => {
    harness = new WeappHarness()
    const appJson = JSON.parse(fs.readFileSync(path.join(DIST, 'app.json'), 'utf8')) as { pages: string[]; subPackages?: Array<{ root: string; pages: string[] }> }
    routes = [...appJson.pages, ...(appJson.subPackages ?? []).flatMap((p) => p.pages.map((page) => `${p.root.replace(/\/$/, '')}/${page}`))]
    // signed in: a session in storage, so every page goes straight to its data
    harness.storage.set('queue-rebate.session', JSON.stringify({ access_token: TOKEN, expires_at: Math.floor(Date.now() / 1000) + 3600, user: { id: '00000000-0000-4000-8000-000000000001', member_code: 'M0000001' }, method: 'wechat' }))
    harness.require('app')
    if (!harness.appConfig) throw new Error('app.js did not call App()')
    const launch = { path: appJson.pages[0], query: {}, scene: 1001 }
    call(harness.appConfig, 'onLaunch', harness.appConfig, launch)
    call(harness.appConfig, 'onShow', harness.appConfig, launch)
  })

  it('lists the pages', () => {
    expect(routes.length).toBeGreaterThan(20)
  })

  it('opens each page, renders it and closes it', async () => {
    const opened: string[] = []
    const shared: string[] = []
    for (const route of routes) {
      const before = harness.pageConfigs.length
      harness.require(route)
      expect(harness.pageConfigs.length).toBe(before + 1)
      const page = harness.instantiatePage(harness.pageConfigs[before], route)
      page.options = { ...PAGE_OPTIONS }
      call(page, 'onLoad', page, { ...PAGE_OPTIONS })
      call(page, 'onShow', page)
      call(page, 'onReady', page)
      await waitFor(() => /[\u4e00-\u9fff]/.test(harness.pageText(page)), `${route} to show Chinese text; shows "${harness.pageText(page)}"${harness.describeErrors()}`)
      // The backend fails every call: each page must leave 加载中 for its error state.
      await waitFor(() => {
        harness.answerPending(500, { code: 'XX000', message: 'smoke', details: null, hint: null })
        return !harness.pageText(page).includes('加载中')
      }, `${route} to leave 加载中; shows "${harness.pageText(page)}"${harness.describeErrors()}`)
      opened.push(route)
      // 转发 and 朋友圈 carry my invite (hooks/use-invite-share.ts) where the page shares
      if (SHARING_PAGES.includes(route)) {
        const message = call(page, 'onShareAppMessage', page, { from: 'menu' }) as { title?: string; path?: string }
        expect(message.title).toMatch(/[\u4e00-\u9fff]/)
        expect(message.path).toMatch(/^\/.*[?&]inv=M0000001(&|$)/)
        const timeline = call(page, 'onShareTimeline', page) as { title?: string; query?: string }
        expect(timeline.query).toMatch(/(^|&)inv=M0000001(&|$)/)
        shared.push(route)
      }
      call(page, 'onHide', page)
      call(page, 'onUnload', page)
    }
    expect(opened).toEqual(routes)
    expect(shared).toEqual(SHARING_PAGES)
    expect(harness.errors).toEqual([])
    // Every page is closed: nothing may still repeat (a leaked interval would also keep jest's worker alive).
    expect([...harness.timers.values()].filter((t) => t.kind === 'interval')).toEqual([])
  })
})

/**
 * The one error type services throw. `code` is a stable machine code for logic and tests;
 * `message` is Simplified Chinese for the UI. Raw backend codes never reach users.
 *
 * The database raises `raise exception using message = '<stable_code>', hint = '<中文>'`,
 * which PostgREST returns as {code: 'P0001', message: '<stable_code>', hint: '<中文>'}.
 */
export class ApiError extends Error {
  readonly code: string
  readonly hint: string | null
  readonly status: number

  constructor(code: string, message: string, status: number, hint: string | null = null) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    this.hint = hint
    this.status = status
    // Babel may compile classes to ES5 for mini builds; keep instanceof working.
    Object.setPrototypeOf(this, ApiError.prototype)
  }
}

/** Chinese text for codes that carry no hint of their own (mostly transport and auth). */
export const FALLBACK_MESSAGES: Readonly<Record<string, string>> = {
  network_error: '网络异常，请稍后重试',
  timeout: '请求超时，请稍后重试',
  unauthorized: '登录已失效，请重新登录',
  forbidden: '没有权限进行此操作',
  not_found: '请求的内容不存在',
  server_error: '服务暂时不可用，请稍后重试',
  bad_response: '服务返回了无法识别的数据，请稍后重试',
  login_failed: '登录失败，请稍后重试',
  wechat_login_failed: '微信登录失败，请稍后重试',
  dev_login_unavailable: '当前环境不支持演示登录',
  forbidden_role: '没有权限执行此操作',
  ticket_not_found: '登录二维码无效，请刷新后重新扫码',
  ticket_used: '该登录二维码已使用，请刷新后重新扫码',
  ticket_expired: '登录二维码已过期，请刷新后重新扫码',
  invalid_ticket: '登录二维码无效，请刷新后重新扫码',
  reason_required: '请填写原因（1 到 200 个字）',
  unknown_error: '操作失败，请稍后重试',
}

/** The error body PostgREST (and our edge functions) send. */
export interface BackendErrorBody {
  code?: string | null
  message?: string | null
  hint?: string | null
  details?: string | null
}

const STABLE_CODE = /^[a-z][a-z0-9_]*$/
const HAS_CHINESE = /[\u4e00-\u9fff]/

export function messageFor(code: string): string {
  return FALLBACK_MESSAGES[code] ?? FALLBACK_MESSAGES.unknown_error
}

/** Turn a backend error body and HTTP status into an ApiError. */
export function toApiError(body: BackendErrorBody | null | undefined, status: number): ApiError {
  const hint = typeof body?.hint === 'string' && body.hint !== '' ? body.hint : null
  const code = stableCode(body, status)
  // Only a Chinese hint is meant for users; anything else gets the fallback text.
  const message = hint !== null && HAS_CHINESE.test(hint) ? hint : messageFor(code)
  return new ApiError(code, message, status, hint)
}

function stableCode(body: BackendErrorBody | null | undefined, status: number): string {
  const pgCode = body?.code ?? ''
  const message = body?.message ?? ''
  // Our own raises: SQLSTATE P0001 (raise_exception) with the stable code as the message.
  if (pgCode === 'P0001' && STABLE_CODE.test(message)) return message
  // Edge functions answer {code: '<stable_code>', message/hint: '<中文>'}.
  if (STABLE_CODE.test(pgCode)) return pgCode
  if (status === 0) return /abort/i.test(`${message} ${body?.hint ?? ''}`) ? 'timeout' : 'network_error'
  if (pgCode.startsWith('PGRST30') || status === 401) return 'unauthorized'
  if (pgCode === '42501' || status === 403) return 'forbidden'
  if (pgCode === '57014') return 'timeout'
  if (pgCode === 'PGRST202' || status === 404) return 'not_found'
  if (status >= 500) return 'server_error'
  return 'unknown_error'
}

/**
 * Map a transport failure (fetch rejected: no network, DNS, timeout, abort) to an ApiError.
 * Anything else is a bug, not a backend answer: it is returned unchanged so it surfaces.
 */
export function fromTransportError(error: unknown): unknown {
  if (!(error instanceof Error)) return error
  if (error.name === 'AbortError') return new ApiError('timeout', messageFor('timeout'), 0)
  if (error.name === 'FetchError') return new ApiError('network_error', messageFor('network_error'), 0)
  return error
}

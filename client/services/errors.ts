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
  bad_request: '请求格式错误',
  payload_too_large: '提交的内容过大',
  data_check_failed: '数据校验失败，请稍后重试或联系客服',
  login_failed: '登录失败，请稍后重试',
  wechat_login_failed: '微信登录失败，请稍后重试',
  dev_login_unavailable: '当前环境不支持演示登录',
  unknown_error: '操作失败，请稍后重试',
}

/**
 * Chinese text for every stable code the backend sends, for an answer without a Chinese hint
 * of its own: the database's refusals (`raise … message = '<code>'`), the edge functions'
 * `{code, message}` and the local stack's gateway and H5 server. docs/errors.md lists each
 * code with where it comes from; test/unit/error-codes.test.ts fails when a code is raised
 * without a row there and a message here.
 */
export const BACKEND_MESSAGES: Readonly<Record<string, string>> = {
  // ---- the database (supabase/migrations): SQLSTATE P0001 unless docs/errors.md says otherwise
  already_bound: '您已绑定推荐人，不能更换',
  amount_too_large: '金额超出上限',
  append_only: '该记录只能追加，不能修改或删除',
  application_not_found: '入驻申请不存在',
  application_not_pending: '该申请已处理',
  application_pending: '您已有一份入驻申请正在审核中',
  cashier_not_found: '收银台不存在',
  cashier_unavailable: '该门店暂不支持买单',
  deduction_exceeds_order: '抵扣金额不能超过订单金额',
  entry_already_received: '该排队名额已开始返利，不能再抽奖',
  entry_not_found: '排队名额不存在',
  entry_not_waiting: '该排队名额已不在排队中',
  exchange_amount_zero: '可兑换数量为 0',
  exchange_off: '暂不支持兑换',
  insufficient_cash: '余额不足',
  insufficient_commission: '余额不足',
  insufficient_love: '爱心值不足',
  insufficient_love_frozen: '爱心值不足',
  insufficient_points: '积分不足',
  invalid_address: '地址应为 1 到 120 个字',
  invalid_amount: '请输入有效的金额',
  invalid_asset: '账户类型无效',
  invalid_batch_size: '批量结算数量无效',
  invalid_channel: '订单类型无效',
  invalid_contact_name: '联系人应为 1 到 20 个字',
  invalid_contact_phone: '请填写正确的手机号或座机号',
  invalid_deduction: '抵扣数量无效',
  invalid_depth: '只能查看直推和间推成员',
  invalid_exchange_target: '请选择兑换积分或爱心值',
  invalid_image: '图片无效',
  invalid_instant: '清零时间无效',
  invalid_invite_code: '邀请码无效或已失效',
  invalid_kind: '类型无效',
  invalid_label: '请填写备注（1 到 40 个字）',
  invalid_level: '会员等级参数无效',
  invalid_level_name: '等级名称应为 1 到 20 个字',
  invalid_level_rank: '等级排序应在 0 到 1000 之间',
  invalid_licence_no: '请填写正确的营业执照号（统一社会信用代码）',
  invalid_limit: '数量超出允许范围',
  invalid_moment: '参数无效',
  invalid_outcome: '参数无效',
  invalid_subscriptions: '订阅结果无效',
  invalid_template: '模板 ID 或字段配置无效',
  push_not_dead: '只能重试发送失败的消息',
  push_not_found: '推送记录不存在',
  template_not_found: '消息模板不存在',
  invalid_line: '商品参数无效',
  invalid_lines: '请选择商品',
  invalid_member_code: '会员编号无效',
  invalid_merchant_invite: '招商码无效或已失效',
  invalid_openid: '登录信息无效',
  invalid_order: '订单参数无效',
  invalid_payment_ref: '支付单号无效',
  invalid_payout_ref: '打款单号无效',
  invalid_points: '转赠积分应在 1 到 100000000 之间',
  invalid_product_id: '商品无效',
  invalid_delivery: '请填写收货人、手机号、所在地区和详细地址',
  invalid_quantity: '商品数量应在 1 到 999 之间',
  invalid_random_range: '随机范围无效',
  invalid_refund_reason: '请填写退款原因（1 到 200 个字）',
  refund_request_not_found: '退款申请不存在',
  refund_request_not_pending: '该退款申请已处理',
  refund_request_pending: '该订单已有退款申请在审核中',
  refund_in_progress: '所选商品正在退款中',
  refund_exceeds_paid: '退款金额超过订单可退金额',
  refund_state_conflict: '退款状态冲突，请人工核对',
  refund_amount_mismatch: '退款金额不符，请人工核对',
  invalid_refund_status: '退款状态无效',
  refund_not_found: '退款单不存在',
  refund_not_retryable: '该退款不能重试',
  invalid_refund: '退款参数无效',
  refund_unavailable: '微信支付退款暂未开通',
  invalid_reason: '请填写驳回原因（1 到 200 个字）',
  invalid_remark: '备注最多 100 个字',
  invalid_refund_lines: '退款商品无效或已退款',
  invalid_refund_ref: '退款单号无效',
  invalid_setting: '设置取值无效',
  invalid_settings: '设置内容无效',
  invalid_source: '绑定来源无效',
  invalid_status: '状态无效',
  invalid_store_id: '门店无效',
  invalid_store_name: '门店名称应为 1 到 40 个字',
  invalid_target: '设置对象应为商品、门店或收银台',
  invalid_team_level: '团队等级参数无效',
  invalid_time: '时间无效',
  invalid_job_name: '定时任务名称无效',
  invalid_token: '凭证无效',
  invalid_ttl: '支付有效期无效',
  invalid_unionid: '登录信息无效',
  unionid_conflict: '该微信账号已绑定其他会员，请联系客服',
  invalid_variant: '参数无效',
  level_in_use: '仍有会员属于该等级，不能删除',
  mode_switch_refused: '还有排队中的名额，不能切换运营模式',
  level_not_found: '会员等级不存在',
  level_protected: '基础会员等级不能删除',
  level_rank_taken: '已有相同排序的会员等级',
  lottery_already_drawn: '该排队名额已经抽过奖了',
  lottery_not_available: '该排队名额不能抽奖',
  lottery_off: '抽奖活动未开启',
  member_not_found: '会员不存在',
  merchant_invite_not_found: '招商码不存在',
  mixed_store_lines: '一个订单只能包含同一门店的商品',
  not_admin: '需要管理员权限',
  not_member: '会员不存在，请重新登录',
  not_recruiter: '您暂无招商权限',
  not_signed_in: '请先登录',
  nothing_to_refund: '没有可退款的商品',
  openid_missing: '请使用微信登录后再支付',
  order_already_paid: '订单已支付',
  order_not_awaiting_settlement: '该订单没有待结算的记录',
  order_not_cancellable: '订单已支付，不能取消',
  order_not_completable: '订单当前状态不能完成',
  order_not_found: '订单不存在',
  order_not_pending: '订单已关闭，不能支付',
  order_not_refundable: '订单当前状态不能退款',
  paid_amount_mismatch: '支付金额与订单不符',
  payment_expired: '支付已超时，请重新下单',
  payment_ref_conflict: '支付单号已被其他订单使用',
  payout_cap_exceeded: '提取比例与各项奖励比例之和超过上限',
  payout_ref_conflict: '打款单号已被其他提现使用',
  product_kind_immutable: '商品类型和所属门店不能修改',
  product_not_found: '商品不存在',
  product_unavailable: '商品已下架',
  product_wrong_channel: '商品不属于该渠道',
  queue_busy: '队列正在结算，请稍后重试',
  queue_not_found: '队列不存在',
  referral_cycle: '不能绑定自己邀请的成员为推荐人',
  refund_ref_conflict: '退款单号已被其他订单使用',
  self_invite: '不能使用自己的招商码申请入驻',
  self_referral: '不能绑定自己为推荐人',
  schedule_unavailable: '定时任务无法调用云函数',
  store_not_approved: '门店暂未开通',
  store_not_found: '门店不存在',
  target_not_found: '设置对象不存在',
  team_level_not_found: '团队等级不存在',
  team_level_rank_taken: '该等级排序已被其他等级使用',
  too_many_lines: '一个订单最多 50 种商品',
  transfer_to_self: '不能转赠给自己',
  unknown_member_level: '会员等级不存在',
  unknown_setting: '未知的设置项',
  wallet_not_found: '钱包不存在',
  withdraw_below_minimum: '提现金额低于最低提现金额',
  withdraw_daily_limit: '今日提现次数已达上限',
  withdrawal_not_found: '提现申请不存在',
  withdrawal_not_pending: '该提现申请已处理',
  transfer_below_minimum: '微信转账金额至少为¥0.10',
  real_name_required: '转账金额满¥2,000.00，须填写收款人真实姓名',
  invalid_real_name: '收款人姓名无效',
  transfer_not_found: '转账单不存在',
  invalid_transfer_params: '转账参数无效',
  transfer_params_changed: '转账参数与首次发送时不一致',
  invalid_transfer_state: '转账状态无效',
  transfer_amount_mismatch: '转账金额与提现不一致',
  transfer_bill_mismatch: '微信转账单号不一致',
  transfer_state_conflict: '转账状态冲突，请人工核查',
  invalid_confirm_hours: '确认收款时限应在 1 到 23 小时之间',
  invalid_bill_date: '账单日期应早于今天',
  invalid_statement: '账单内容无效',
  statement_inconsistent: '账单汇总与明细不一致',
  difference_not_found: '对账差异不存在',
  difference_not_open: '该差异已处理',
  // ---- the operators' console (17_console.sql, console-login; docs/console.md)
  forbidden_role: '没有权限执行此操作',
  invalid_date_range: '日期范围无效（最长一年）',
  invalid_export: '导出类型无效',
  invalid_price: '价格应在 0.01 到 1,000,000.00 元之间',
  invalid_product: '商品类型与门店不匹配，或取值超出范围',
  invalid_product_kind: '商品类型无效',
  invalid_product_name: '商品名称应为 1 到 60 个字',
  invalid_role: '角色无效',
  invalid_role_store: '店主角色须指定一家门店，其他角色不指定门店',
  invalid_ticket: '登录二维码无效，请刷新后重新扫码',
  last_admin: '至少保留一位超级管理员',
  reason_required: '请填写原因（1 到 200 个字）',
  role_not_found: '该角色记录不存在',
  sku_taken: '商品编码已被使用',
  ticket_expired: '登录二维码已过期，请刷新后重新扫码',
  ticket_not_found: '登录二维码无效，请刷新后重新扫码',
  ticket_used: '该登录二维码已使用，请刷新后重新扫码',
  // ---- the edge functions (supabase/functions)
  login_required: '请先登录',
  invalid_body: '请求格式错误',
  invalid_entry: '排队名额无效',
  method_not_allowed: '请求方式不支持',
  internal_error: '服务暂时不可用，请稍后再试',
  server_misconfigured: '服务配置有误，请联系客服',
  job_forbidden: '仅限定时任务调用',
  invalid_code: '登录凭证无效或已过期，请重新登录',
  code_used: '登录凭证已被使用，请重新登录',
  rate_limited: '操作太频繁，请稍后再试',
  login_blocked: '该微信账号存在安全风险，暂时无法登录',
  wechat_busy: '微信服务繁忙，请稍后再试',
  wechat_misconfigured: '服务配置有误，请联系客服',
  wechat_error: '微信服务异常，请稍后再试',
  wechat_unavailable: '无法连接微信服务，请稍后再试',
  wechat_rate_limited: '请求太频繁，请稍后再试',
  payment_unavailable: '支付暂不可用，请稍后再试',
  payment_misconfigured: '支付配置有误，请联系客服',
  payment_conflict: '订单支付信息已变更，请重新下单',
  payment_failed: '发起支付失败，请稍后再试',
  transfer_not_waiting: '该提现无需确认收款',
  statement_not_ready: '账单尚未生成，请稍后再试',
  statement_unavailable: '下载账单失败，请稍后再试',
  statement_hash_mismatch: '账单文件校验失败',
  statement_unreadable: '账单格式无法识别',
  // ---- the local gateway, functions host and H5 server (supabase/local)
  function_not_found: '接口不存在',
  functions_unavailable: '服务暂不可用，请稍后重试',
  api_unavailable: '服务暂不可用，请稍后重试',
}

/**
 * The gateway's PostgREST codes and the client code each becomes (its text is in
 * FALLBACK_MESSAGES). A SQLSTATE from Postgres itself is mapped by the HTTP status instead.
 */
export const GATEWAY_CODES: Readonly<Record<string, string>> = {
  PGRST000: 'server_error',
  PGRST100: 'bad_request',
  PGRST101: 'bad_request',
  PGRST102: 'bad_request',
  PGRST106: 'bad_request',
  PGRST116: 'not_found',
  PGRST125: 'not_found',
  PGRST202: 'not_found',
  PGRST203: 'server_error',
  PGRST301: 'unauthorized',
  PGRST302: 'unauthorized',
  PGRST303: 'unauthorized',
  PGRST413: 'payload_too_large',
}

/** The error body PostgREST (and our edge functions) send. */
export interface BackendErrorBody {
  code?: string | null
  message?: string | null
  hint?: string | null
  details?: string | null
}

const STABLE_CODE = /^[a-z][a-z0-9_]*$/
const SQLSTATE = /^[0-9A-Z]{5}$/
const HAS_CHINESE = /[\u4e00-\u9fff]/
const has = (map: Readonly<Record<string, string>>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(map, key)

export function messageFor(code: string): string {
  if (has(FALLBACK_MESSAGES, code)) return FALLBACK_MESSAGES[code]
  if (has(BACKEND_MESSAGES, code)) return BACKEND_MESSAGES[code]
  return FALLBACK_MESSAGES.unknown_error
}

/** Turn a backend error body and HTTP status into an ApiError. */
export function toApiError(body: BackendErrorBody | null | undefined, status: number): ApiError {
  const hint = typeof body?.hint === 'string' && body.hint !== '' ? body.hint : null
  const code = stableCode(body, status)
  // Only a Chinese hint is meant for users; anything else gets the fallback text. A failed
  // data check's hint names the internal check, so it is not shown either.
  const message = hint !== null && HAS_CHINESE.test(hint) && code !== 'data_check_failed' ? hint : messageFor(code)
  return new ApiError(code, message, status, hint)
}

function stableCode(body: BackendErrorBody | null | undefined, status: number): string {
  const pgCode = body?.code ?? ''
  const message = body?.message ?? ''
  // Our own raises: SQLSTATE P0001 (raise_exception) with the stable code as the message.
  if (pgCode === 'P0001' && STABLE_CODE.test(message)) return message
  // A few raise another SQLSTATE with a stable code (queue_busy 55P03, unknown_member_level 23514).
  if (SQLSTATE.test(pgCode) && has(BACKEND_MESSAGES, message)) return message
  // The other check violations are the database's internal data checks (rebate.invariant_failed).
  if (pgCode === '23514') return 'data_check_failed'
  // Edge functions answer {code: '<stable_code>', message/hint: '<中文>'}.
  if (STABLE_CODE.test(pgCode)) return pgCode
  if (has(GATEWAY_CODES, pgCode)) return GATEWAY_CODES[pgCode]
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

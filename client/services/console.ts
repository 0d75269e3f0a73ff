import type { Json } from '../types/database.types'
import { invokeFunction, rpc, type Composite, type Filled, type RpcArgs, type RpcName, type RpcRow } from './api'

/**
 * The operators' console (运营后台, docs/console.md): typed calls of the console's database
 * functions (supabase/schemas/17_console.sql and the admin_* functions of each area) and of the
 * console-login edge function. Platform-neutral like every service: the console passes its own
 * fetch-based supabase client to configureApi.
 *
 * Money is fen (number) as the database sends it; ratios bps. Every function checks the
 * caller's roles in the database; a refusal arrives as ApiError('forbidden_role', '没有权限执行此操作').
 */

/**
 * Most console functions answer one jsonb document; its shape is stated by the interfaces here.
 * The function's name and arguments are still checked against the generated types.
 */
function rpcJson<T, F extends RpcName = RpcName>(fn: F, args?: RpcArgs<F>): Promise<T> {
  const call = rpc as unknown as (name: F, a: RpcArgs<F> | Record<string, never>) => Promise<unknown>
  return call(fn, args ?? {}) as Promise<T>
}

export type StaffRole = 'admin' | 'operations' | 'finance' | 'store_owner'

export const ROLE_LABELS: Readonly<Record<StaffRole, string>> = {
  admin: '超级管理员',
  operations: '运营',
  finance: '财务',
  store_owner: '店主',
}

export interface ConsoleMe {
  member_id: string
  member_code: string
  nickname: string
  roles: StaffRole[]
  stores: Array<{ store_id: number; code: string; name: string }>
}

export const fetchConsoleMe = (): Promise<ConsoleMe> => rpcJson<ConsoleMe>('console_me')

// ---------------------------------------------------------------- scan login (扫码登录)

export interface LoginTicket {
  ticket: string
  /** kept by the console, never shown */
  secret: string
  expires_at: string
}

export interface ConsoleSession {
  access_token: string
  expires_at: number
  user: { id: string; member_code: string }
}

export type TicketState = { status: 'pending'; expires_at: string } | ({ status: 'confirmed' } & ConsoleSession)

/** What the console's QR code holds: the mini-program's confirm page reads the ticket from it. */
export const LOGIN_QR_PREFIX = 'rebate-console-login:'
export const loginQrText = (ticket: string): string => `${LOGIN_QR_PREFIX}${ticket}`
export function ticketFromQr(text: string): string | null {
  const m = /(?:rebate-console-login:|[?&]ticket=)([0-9a-f-]{36})/i.exec(text)
  return m ? m[1] : null
}

export const createLoginTicket = (): Promise<LoginTicket> => invokeFunction<LoginTicket>('console-login', { action: 'create' })
export const pollLoginTicket = (t: LoginTicket): Promise<TicketState> =>
  invokeFunction<TicketState>('console-login', { ticket: t.ticket, secret: t.secret })

export interface TicketInfo { ticket: string; created_at: string; expires_at: string; confirmed: boolean; roles: StaffRole[] }
/** The mini-program's confirm page (登录运营后台？): the ticket's time, refused when expired or used. */
export const fetchTicketInfo = (ticket: string): Promise<TicketInfo> => rpcJson<TicketInfo>('console_ticket_info', { p_ticket: ticket })
export const confirmTicket = (ticket: string): Promise<{ ticket: string; confirmed_at: string }> =>
  rpcJson('console_ticket_confirm', { p_ticket: ticket })

// ---------------------------------------------------------------- 数据概览

export interface PeriodFigures {
  orders: number; paid_fen: number; extraction_fen: number; distributed_fen: number; retained_fen: number
  new_entries: number; completed_entries: number; commission_fen: number; withdrawn_fen: number
}
export interface QueueLiability {
  queue_id: number; name: string; scope: string; waiting: number; owed_fen: number
  inflow_7d_fen: number; inflow_30d_fen: number; coverage_days: number | null
}
export interface Dashboard {
  today: string
  periods: Record<'1' | '7' | '30', PeriodFigures>
  liability: { waiting: number; owed_fen: number; inflow_7d_fen: number; inflow_30d_fen: number; coverage_days: number | null }
  queues: QueueLiability[]
  trend: Array<{ day: string; owed_fen: number; extraction_fen: number }>
  reconcile: { clean: boolean; findings: number; first: Array<{ check_name: string; subject: string; expected: number | null; actual: number | null }> }
  parked: Array<{ order_no: string; queue_id: number; accepted_at: string; attempts: number; last_error: string | null }>
  missing_schedules: Array<{ job_name: string; schedule: string; purpose: string; cron_available: boolean }>
}
export const fetchDashboard = (): Promise<Dashboard> => rpcJson<Dashboard>('console_dashboard')
export const retrySettlement = (orderNo: string) => rpcJson<{ settled: boolean }>('admin_retry_settlement', { p_order_no: orderNo })

// ---------------------------------------------------------------- 分红池 (union mode, SPEC §13)

export interface UnionPoolDayRow {
  day: string; carry_in_fen: number; contribution_fen: number; acceleration_fen: number; takeback_fen: number; pool_fen: number
  available_fen: number; paid_fen: number; entries_paid: number; carry_over_fen: number; held: boolean; ran_at: string
}
export interface UnionPool {
  programme_mode: 'classic' | 'union'; paused: boolean; payout_time: string
  days: UnionPoolDayRow[]
  open: { since: string | null; contribution_fen: number; acceleration_fen: number; lines: number }
  carry_over_fen: number; waiting_entries: number; owed_fen: number; avg_daily_pool_fen: number | null; coverage_days: number | null
}
export interface UnionPayoutItem { entry_id: number; member_code: string; nickname: string; order_no: string; quota_fen: number; accelerated_fen: number; amount_fen: number }
export interface UnionQueueRow {
  entry_id: number; position: number; member_code: string; nickname: string; order_no: string; quota_fen: number
  received_fen: number; accelerated_fen: number; remaining_fen: number; created_at: string
}
export const fetchUnionPool = (days = 30): Promise<UnionPool> => rpcJson<UnionPool>('console_union_pool', { p_days: days })
export const fetchUnionPayoutLog = (day: string): Promise<{ payout: UnionPoolDayRow | null; items: UnionPayoutItem[] }> =>
  rpcJson('console_union_payout_log', { p_day: day })
export const fetchUnionQueue = (afterId: number | null, limit = 50): Promise<UnionQueueRow[]> =>
  rpcJson<UnionQueueRow[]>('console_union_queue', { p_after_id: afterId ?? undefined, p_limit: limit })

// ---------------------------------------------------------------- 排队返利设置

export type SettingsRecord = Record<string, unknown>
export const fetchSettings = (): Promise<SettingsRecord> => rpcJson<SettingsRecord>('admin_get_settings')
export const updateSettings = (patch: SettingsRecord, reason?: string): Promise<SettingsRecord> =>
  rpcJson<SettingsRecord>('admin_update_settings', { p_patch: patch as Json, p_reason: reason ?? undefined })
export const enableAllProducts = (): Promise<number> => rpc('admin_enable_all_products')
export interface MemberLevel { id: number; name: string; rank: number }
export const fetchMemberLevels = (): Promise<MemberLevel[]> => rpcJson<MemberLevel[]>('admin_list_member_levels')
/** 会员等级: create or rename / re-rank a level (id 0, 普通会员, is the base level). */
export const saveMemberLevel = (level: MemberLevel) =>
  rpcJson<MemberLevel>('admin_save_member_level', { p_id: level.id, p_name: level.name, p_rank: level.rank })
/** Deletes a level no member holds; its ratios go with it. */
export const deleteMemberLevel = (id: number): Promise<boolean> => rpc('admin_delete_member_level', { p_id: id })

/** 团队等级 (级差 rates, 股东分红 weights, who may recruit merchants). */
export type TeamLevel = RpcRow<'list_team_levels'>
export const listTeamLevels = (): Promise<TeamLevel[]> => rpc('list_team_levels')
export const saveTeamLevel = (level: { id: number; name: string; rank: number; diff_bps: number; dividend_weight: number; can_recruit_merchants: boolean }) =>
  rpcJson<Record<string, unknown>>('admin_upsert_team_level', { p_level: level as unknown as Json })

// ---------------------------------------------------------------- 商品, 门店/收银台

export interface ConsoleProduct {
  product_id: number; sku: string | null; kind: string; store_id: number | null; store_name: string | null
  name: string; price_fen: number; listed: boolean; rebate_enabled: boolean
  extraction_bps: number | null; reward_bps: number | null; daily_limit: number | null; total_limit: number | null
  lottery_mode: string
}
export const listProducts = (q: string | null, afterId: number | null, limit = 20): Promise<ConsoleProduct[]> =>
  rpcJson<ConsoleProduct[]>('console_list_products', { p_q: q ?? undefined, p_after_id: afterId ?? undefined, p_limit: limit })
export const saveProduct = (id: number | null, fields: Record<string, unknown>): Promise<ConsoleProduct> =>
  rpcJson<ConsoleProduct>('console_save_product', { p_product_id: id as number /* null creates a product */, p_fields: fields as Json })
export type RuleTarget = 'product' | 'store' | 'cashier'
export const fetchRuleSettings = (target: RuleTarget, id: number): Promise<SettingsRecord> =>
  rpcJson<SettingsRecord>('admin_get_rule_settings', { p_target: target, p_target_id: id })
export const updateRuleSettings = (target: RuleTarget, id: number, patch: SettingsRecord): Promise<SettingsRecord> =>
  rpcJson<SettingsRecord>('admin_update_rule_settings', { p_target: target, p_target_id: id, p_patch: patch as Json })

export interface ConsoleStore {
  store_id: number; store_code: string; name: string; status: string
  rebate_enabled: boolean; extraction_bps: number | null; reward_bps: number | null
  cashier: null | { cashier_id: number; cashier_code: string; rebate_enabled: boolean; extraction_bps: number | null; reward_bps: number | null; scene: string; page: string }
}
export const listStores = (status: string | null = null): Promise<ConsoleStore[]> => rpcJson<ConsoleStore[]>('admin_list_stores', { p_status: status ?? undefined })
/** A store owner's own stores (the 店主 view). */
export const listMyStores = (): Promise<ConsoleStore[]> => rpcJson<ConsoleStore[]>('my_stores')
export const updateStore = (id: number, patch: SettingsRecord) => rpcJson<ConsoleStore>('admin_update_store', { p_store_id: id, p_patch: patch as Json })
export const updateCashier = (id: number, patch: SettingsRecord) => rpcJson<ConsoleStore>('admin_update_cashier', { p_cashier_id: id, p_patch: patch as Json })

// ---------------------------------------------------------------- 队列

export interface ConsoleQueue {
  queue_id: number; name: string; scope: string; store_id: number | null; closed: boolean; joined: number; head_seq: number
  waiting: number; owed_fen: number; extracted_fen: number; distributed_fen: number; retained_fen: number
  inflow_7d_fen: number; inflow_30d_fen: number
}
export const listQueues = (afterId: number | null, limit = 50): Promise<ConsoleQueue[]> =>
  rpcJson<ConsoleQueue[]>('console_list_queues', { p_after_id: afterId ?? undefined, p_limit: limit })
export interface ConsoleEntry {
  entry_id: number; seq: number; member_id: string; member_code: string; nickname: string; order_no: string
  entitlement_fen: number; received_fen: number; remaining_fen: number; reward_bps: number; rule_label: string
  status: string; status_label: string; created_at: string
}
export const listEntries = (queueId: number, status: string | null, afterSeq: number | null, limit = 20): Promise<ConsoleEntry[]> =>
  rpcJson<ConsoleEntry[]>('console_list_entries', { p_queue_id: queueId, p_status: status ?? undefined, p_after_seq: afterSeq ?? undefined, p_limit: limit })
export const entrySources = (entryId: number) =>
  rpcJson<Array<{ distribution_id: number; amount_fen: number; order_no: string; line_no: number; created_at: string }>>('console_entry_sources', { p_entry_id: entryId })
export const forceExitEntry = (entryId: number, reason: string) =>
  rpcJson<{ entry_id: number; status: string; forfeited_fen: number }>('console_force_exit_entry', { p_entry_id: entryId, p_reason: reason ?? undefined })
export type AdjustableAsset = 'cash' | 'commission' | 'points' | 'love'
export const adjustBalance = (memberId: string, asset: AdjustableAsset, delta: number, reason: string) =>
  rpcJson<{ ledger_id: number; balance_before: number; balance_after: number }>('console_adjust_balance',
    { p_member_id: memberId, p_asset: asset, p_delta: delta, p_reason: reason ?? undefined })

// ---------------------------------------------------------------- 会员, 订单

export interface ConsoleMember {
  member_id: string; member_code: string; nickname: string; level_id: number; level_name: string; created_at: string
  cash_fen: number; commission_fen: number; points: number; roles: StaffRole[]
}
export const listMembers = (q: string | null, afterCode: string | null, limit = 20): Promise<ConsoleMember[]> =>
  rpcJson<ConsoleMember[]>('console_list_members', { p_q: q ?? undefined, p_after_code: afterCode ?? undefined, p_limit: limit })
export type MemberDetail = Record<string, unknown> & { member_id: string; member_code: string; nickname: string }
export const fetchMemberDetail = (id: string): Promise<MemberDetail> => rpcJson<MemberDetail>('console_member_detail', { p_member_id: id })

export interface ConsoleOrder {
  order_id: number; order_no: string; channel: string; status: string; status_label: string; store_id: number | null
  store_name: string | null; member_code: string; nickname: string; goods_fen: number; pay_fen: number; refunded_fen: number
  created_at: string; paid_at: string | null
}
export interface OrderFilter { channel?: string | null; status?: string | null; storeId?: number | null; from?: string | null; to?: string | null; orderNo?: string | null }
export const listOrders = (f: OrderFilter, beforeId: number | null, limit = 20): Promise<ConsoleOrder[]> =>
  rpcJson<ConsoleOrder[]>('console_list_orders', {
    p_channel: f.channel ?? undefined, p_status: f.status ?? undefined, p_store_id: f.storeId ?? undefined, p_from: f.from ?? undefined,
    p_to: f.to ?? undefined, p_order_no: f.orderNo ?? undefined, p_before_id: beforeId ?? undefined, p_limit: limit,
  })
export type OrderDetail = Record<string, unknown> & { order_no: string }
export const fetchOrderDetail = (orderNo: string): Promise<OrderDetail> => rpcJson<OrderDetail>('console_order_detail', { p_order_no: orderNo })

export interface RefundPreviewLine {
  line_no: number; name: string; pay_fen: number; entry_status: string | null; received_fen: number
  clawback_fen: number; refund_fen: number; shortfall_fen: number; forfeited_fen: number; cost_fen: number
  points_back: number; love_back_fen: number
}
export interface RefundPreview { order_no: string; lines: RefundPreviewLine[]; refund_fen: number; clawback_fen: number; forfeited_fen: number; cost_fen: number }
/** What SPEC §10 would do for these lines (all not yet refunded when null); nothing is refunded. */
export const previewRefund = (orderNo: string, lineNos: number[] | null): Promise<RefundPreview> =>
  rpcJson<RefundPreview>('console_refund_preview', { p_order_no: orderNo, p_line_nos: lineNos ?? undefined })

// ---------------------------------------------------------------- 商家入驻, 提现审核

export type MerchantApplication = RpcRow<'admin_list_merchant_applications'>
export const listApplications = (status: string | null, beforeId: number | null, limit = 20): Promise<MerchantApplication[]> =>
  rpc('admin_list_merchant_applications', { p_status: status ?? undefined, p_before_id: beforeId ?? undefined, p_limit: limit })
export const approveApplication = (id: number) => rpcJson<Record<string, unknown>>('admin_approve_merchant_application', { p_application_id: id })
export const rejectApplication = (id: number, reason: string) =>
  rpcJson<Record<string, unknown>>('admin_reject_merchant_application', { p_application_id: id, p_reason: reason ?? undefined })
export type MerchantInviteCode = RpcRow<'admin_list_merchant_invite_codes'>
export const listInviteCodes = (): Promise<MerchantInviteCode[]> => rpc('admin_list_merchant_invite_codes')
export const createInviteCode = (label: string) => rpcJson<Record<string, unknown>>('admin_create_merchant_invite_code', { p_label: label })

/** The merchant transfer (商家转账) paying a withdrawal, as admin_list_withdrawals shows it. */
export interface ConsoleTransfer {
  out_bill_no: string; state: string; transfer_bill_no: string | null; fail_reason: string | null
  attempts: number; last_error: string | null; next_attempt_at: string; updated_at: string
}
export interface ConsoleWithdrawal {
  withdrawal_id: number; asset: string; amount_fen: number; fee_fen: number; net_fen: number; status: string; status_label: string
  payout_ref: string | null; reject_reason: string | null; requested_at: string; decided_at: string | null
  member_id: string; member_code: string; nickname: string; transfer: ConsoleTransfer | null
}
/** What withdrawal-transfer answers: the approved withdrawal and how sending the transfer went. */
export interface TransferStarted {
  withdrawal: ConsoleWithdrawal & { out_bill_no: string; replayed: boolean }
  transfer: { out_bill_no: string; state: string; error?: string }
}
export const listWithdrawals = (status: string | null, beforeId: number | null, limit = 20): Promise<ConsoleWithdrawal[]> =>
  // null = every status: sent as JSON null (an omitted p_status means the default, 'pending')
  rpcJson<ConsoleWithdrawal[]>('admin_list_withdrawals', { p_status: status as string, p_before_id: beforeId ?? undefined, p_limit: limit })
export const approveWithdrawal = (id: number, payoutRef: string) =>
  rpcJson<ConsoleWithdrawal>('admin_approve_withdrawal', { p_withdrawal_id: id, p_payout_ref: payoutRef })
/** 通过并打款: approve and pay by WeChat merchant transfer (edge function withdrawal-transfer). */
export const approveWithdrawalTransfer = (id: number, realName: string | null) =>
  invokeFunction<TransferStarted>('withdrawal-transfer', realName ? { withdrawal_id: id, real_name: realName } : { withdrawal_id: id })
export const rejectWithdrawal = (id: number, reason: string) =>
  rpcJson<ConsoleWithdrawal>('admin_reject_withdrawal', { p_withdrawal_id: id, p_reason: reason ?? undefined })

// ---------------------------------------------------------------- 对账

export interface StatementDay {
  bill_date: string; downloaded_at: string; line_count: number; pay_count: number; pay_fen: number
  refund_count: number; refund_fen: number; runs: number; open: number; resolved: number
}
export interface StatementDifference {
  difference_id: number; bill_date: string; subject: string; subject_label: string; ref: string; kind: string; kind_label: string
  out_trade_no: string | null; out_refund_no: string | null; our_fen: number | null; their_fen: number | null
  our_state: string | null; their_state: string | null; status: string; created_at: string; updated_at: string
  resolved_at: string | null; resolve_reason: string | null; resolved_by_code: string | null
}
export const listStatements = (beforeDate: string | null, limit = 30): Promise<StatementDay[]> =>
  rpcJson<StatementDay[]>('admin_list_statements', { p_before_date: beforeDate ?? undefined, p_limit: limit })
export const listStatementDifferences = (status: string | null, billDate: string | null, beforeId: number | null, limit = 20): Promise<StatementDifference[]> =>
  rpcJson<StatementDifference[]>('admin_list_statement_differences', {
    p_status: status as string, p_bill_date: billDate ?? undefined, p_before_id: beforeId ?? undefined, p_limit: limit,
  })
export const resolveStatementDifference = (id: number, reason: string) =>
  rpcJson<StatementDifference>('admin_resolve_statement_difference', { p_difference_id: id, p_reason: reason })

// ---------------------------------------------------------------- 操作日志, 导出, 角色

export interface AuditRow {
  id: number; created_at: string; member_code: string | null; nickname: string | null; roles: StaffRole[]
  action: string; object_type: string; object_id: string | null; before: unknown; after: unknown; reason: string | null
}
export interface AuditFilter { memberCode?: string | null; objectType?: string | null; objectId?: string | null; from?: string | null; to?: string | null }
export const listAudit = (f: AuditFilter, beforeId: number | null, limit = 20): Promise<AuditRow[]> =>
  rpcJson<AuditRow[]>('console_list_audit', {
    p_member_code: f.memberCode ?? undefined, p_object_type: f.objectType ?? undefined, p_object_id: f.objectId ?? undefined,
    p_from: f.from ?? undefined, p_to: f.to ?? undefined, p_before_id: beforeId ?? undefined, p_limit: limit,
  })

export type ExportKind = 'orders' | 'ledger' | 'distributions' | 'audit'
export interface ExportPage { header: string[]; rows: unknown[][]; last_id: number | null; done: boolean }
export const exportPage = (kind: ExportKind, from: string, to: string, afterId: number, limit = 5000): Promise<ExportPage> =>
  rpcJson<ExportPage>('console_export_page', { p_kind: kind, p_from: from, p_to: to, p_after_id: afterId ?? undefined, p_limit: limit })

export interface RoleRow {
  role_id: number; role: StaffRole; store_id: number | null; store_name: string | null
  member_id: string; member_code: string; nickname: string; granted_at: string
}
export const listRoles = (): Promise<RoleRow[]> => rpcJson<RoleRow[]>('admin_list_roles')
export const grantRole = (memberCode: string, role: StaffRole, storeId: number | null, reason: string | null) =>
  rpcJson<Record<string, unknown>>('admin_grant_role', { p_member_code: memberCode, p_role: role, p_store_id: storeId ?? undefined, p_reason: reason ?? undefined })
export const revokeRole = (roleId: number, reason: string | null) =>
  rpcJson<Record<string, unknown>>('admin_revoke_role', { p_role_id: roleId, p_reason: reason ?? undefined })

// ---------------------------------------------------------------- 队列: projected liability

/** A queue's settings, daily inflow and what waits (public.projection_queue_input; 运营, 财务). */
export type QueueProjectionInput = Filled<Composite<'projection_queue_input'>, 'next_clearing_at' | 'first_day'>
export const fetchQueueProjectionInput = (queueId: number): Promise<QueueProjectionInput> =>
  rpc('projection_queue_input', { p_queue_id: queueId }) as Promise<QueueProjectionInput>

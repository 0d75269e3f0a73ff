// Who may call each function of the API (schema public), in one table. The authorization
// matrix (test/api/authz-matrix.test.ts) and the fuzz suite (test/api/fuzz.test.ts) read it,
// and both fail when the database has a function that is not listed here: a new function
// must say who may call it.
//
// callers (SPEC §15 roles, supabase/schemas/17_console.sql):
//   'member'       any signed-in member (staff are members too)
//   'admin'        超级管理员 only (it passes every staff check)
//   'operations'   运营 (and 超级管理员)
//   'finance'      财务 (and 超级管理员)
//   'staff'        any console role, 店主 included (store-scoped lists)
//   'owner'        the store's owner (or 超级管理员): rebate.require_store_owner
//   'service_role' the server side (edge functions, schedules)
// owns: arguments naming one of the caller's own objects; another member passing them is
// refused as if the object did not exist.
// lists: the function returns the caller's own objects of this kind (rows carrying its id field,
// LIST_ID); another member's never appear in them.

export type Caller = 'member' | 'admin' | 'operations' | 'finance' | 'staff' | 'owner' | 'service_role';
export type ObjectKind = 'entry' | 'order' | 'store' | 'refund_request' | 'withdrawal';

export interface Access {
  callers: Caller[];
  owns?: Record<string, ObjectKind>;
  lists?: ObjectKind;
}

/** The field that names an object in the rows a listing function returns. */
export const LIST_ID: Record<ObjectKind, string> = {
  entry: 'entry_id', order: 'order_id', store: 'store_id', refund_request: 'request_id', withdrawal: 'withdrawal_id',
};

const member: Access = { callers: ['member'] };
const admin: Access = { callers: ['admin'] };
const service: Access = { callers: ['service_role'] };
const ops: Access = { callers: ['operations'] };
const fin: Access = { callers: ['finance'] };
const opsFin: Access = { callers: ['operations', 'finance'] };
const staff: Access = { callers: ['staff'] };

export const ACCESS: Record<string, Access> = {
  // members: their own orders, entries, wallet, messages, referral
  create_order: member,
  preview_order: member,
  my_orders: member,
  my_order: { callers: ['member'], owns: { p_order_id: 'order' } },
  cancel_my_order: { callers: ['member'], owns: { p_order_id: 'order' } },
  refund_quote: { callers: ['member'], owns: { p_order_id: 'order' } },
  request_refund: { callers: ['member'], owns: { p_order_id: 'order' } },
  my_refund_requests: { callers: ['member'], owns: { p_order_id: 'order' }, lists: 'refund_request' },
  cancel_refund_request: { callers: ['member'], owns: { p_request_id: 'refund_request' } },
  my_entries: member,
  my_union_entries: member,
  union_pool_days: member,
  programme_info: member,
  // union entries are not 'entry' objects (another id space): the owner check is in test/db/union-exchange.test.ts
  preview_union_exchange: member,
  exchange_union_entry: member,
  queue_process: { callers: ['member'], owns: { p_entry_id: 'entry' } },
  my_entry_projection_input: { callers: ['member'], owns: { p_entry_id: 'entry' } },
  entry_sources: { callers: ['member'], owns: { p_entry_id: 'entry' } },
  draw_lottery: { callers: ['member'], owns: { p_entry_id: 'entry' } },
  preview_exchange: { callers: ['member'], owns: { p_entry_id: 'entry' } },
  exchange_entry: { callers: ['member'], owns: { p_entry_id: 'entry' } },
  transfer_points: member,
  my_wallet: member,
  my_ledger: member,
  my_messages: member,
  mark_messages_read: member,
  my_withdrawal_info: member,
  my_withdrawals: { callers: ['member'], lists: 'withdrawal' },
  request_withdrawal: member,
  me: { callers: ['member', 'service_role'] },
  list_products: member,
  list_stores: member,
  list_team_levels: member,
  rebate_display_settings: member,
  bind_referrer: member,
  invite_info: member,
  my_invite: member,
  my_team: member,
  my_team_summary: member,
  my_store_dashboards: member,
  my_rewards: member,
  merchant_invite_info: member,
  submit_merchant_application: member,
  my_merchant_applications: member,
  my_recruited_merchants: member,
  transfer_recipient: member,
  my_stores: member,
  // store owners: their own store
  store_orders: { callers: ['owner'], owns: { p_store_id: 'store' } },
  store_queue_stats: { callers: ['owner'], owns: { p_store_id: 'store' } },
  qrcode_target: { callers: ['member'] },
  // staff (the console): 运营 runs the programme, 财务 the money, 超级管理员 everything
  admin_approve_merchant_application: ops,
  admin_approve_withdrawal: fin,
  admin_approve_withdrawal_transfer: fin,
  admin_list_statements: fin,
  admin_list_statement_differences: fin,
  admin_resolve_statement_difference: fin,
  admin_create_merchant_invite_code: ops,
  admin_delete_member_level: ops,
  admin_dividend_overview: opsFin,
  admin_enable_all_products: ops,
  admin_get_rule_settings: opsFin,
  admin_get_settings: opsFin,
  admin_list_member_levels: opsFin,
  admin_list_merchant_applications: opsFin,
  admin_list_merchant_invite_codes: opsFin,
  admin_list_stores: opsFin,
  admin_list_withdrawals: opsFin,
  admin_member_referral: opsFin,
  admin_reject_merchant_application: ops,
  admin_reject_withdrawal: fin,
  admin_retry_settlement: ops,
  admin_save_member_level: ops,
  admin_set_member_level: ops,
  admin_set_member_team_level: ops,
  admin_set_merchant_invite_code_active: ops,
  admin_set_product_rebate: ops,
  admin_update_cashier: ops,
  admin_update_rule_settings: ops,
  admin_update_settings: ops,
  admin_update_store: ops,
  admin_upsert_team_level: ops,
  admin_grant_role: admin,
  admin_revoke_role: admin,
  admin_list_roles: admin,
  console_dashboard: opsFin,
  console_union_pool: opsFin,
  console_union_payout_log: opsFin,
  console_union_queue: opsFin,
  console_entry_sources: opsFin,
  console_list_audit: opsFin,
  console_list_entries: opsFin,
  console_list_members: opsFin,
  console_member_detail: opsFin,
  console_adjust_balance: fin,
  console_export_page: opsFin,   // the ledger export: 财务 only (checked by kind)
  console_refund_preview: fin,
  console_start_refund: fin,
  console_approve_refund_request: fin,
  console_reject_refund_request: fin,
  console_retry_refund: fin,
  console_list_refunds: fin,
  console_list_refund_requests: fin,
  console_force_exit_entry: ops,
  console_save_product: ops,
  console_list_orders: staff,
  console_list_products: staff,
  console_list_queues: staff,
  console_order_detail: staff,
  console_me: staff,
  console_ticket_info: staff,
  console_ticket_confirm: staff,
  console_ticket_create: service,
  console_ticket_redeem: service,
  schedule_status: { callers: ['operations', 'finance', 'service_role'] },
  // the server side: payments, fulfilment, schedules, WeChat caches, login
  accept_payment: service,
  mark_order_paid: service,
  settle_pending: service,
  prepare_payment: service,
  cancel_order: service,
  complete_order: service,
  refund_order: service,
  transfer_request: service,
  record_transfer_result: service,
  record_transfer_error: service,
  due_transfers: service,
  record_statement: service,
  record_wechat_refund: service,
  record_wechat_refund_error: service,
  wechat_refund: service,
  wechat_refunds_due: service,
  expired_pending_orders: service,
  trades_to_close: service,
  record_trade_closed: service,
  clear_queues: service,
  run_dividend: service,
  run_union_payout: service,
  reconcile: service,
  projection_queue_input: { callers: ['operations', 'finance', 'service_role'] },
  projection_queue_entries: service,
  member_id_by_code: service,
  upsert_member_by_openid: service,
  qrcode_store: service,
  wechat_token_get: service,
  wechat_token_put: service,
  // subscribe messages (docs/messages.md): members record acceptances, the sender job claims and reports
  subscribe_templates: member,
  record_subscriptions: member,
  message_push_claim: service,
  message_push_report: service,
  admin_message_push_stats: ops,
  admin_list_message_pushes: ops,
  admin_retry_message_push: ops,
  admin_set_subscribe_template: ops,
  wechat_token_invalidate: service,
};

/** Error codes that mean "you may not": the refusals the matrix expects from the wrong caller. */
export const PERMISSION_REFUSALS = new Set([
  '42501', 'PGRST301', 'not_signed_in', 'not_member', 'not_admin', 'forbidden_role', 'store_not_found',
]);

export type TestRole = 'anon' | 'member' | 'owner' | 'operations' | 'finance' | 'admin' | 'service_role';

/** Whether a caller in this role may call a function with these callers (admin passes every staff check). */
export function mayCall(role: TestRole, callers: Caller[]): boolean {
  const has = (c: Caller) => callers.includes(c);
  switch (role) {
    case 'anon': return false;
    case 'member': return has('member');
    case 'owner': return has('member') || has('owner') || has('staff');
    case 'operations': return has('member') || has('operations') || has('staff');
    case 'finance': return has('member') || has('finance') || has('staff');
    case 'admin': return callers.some((c) => c !== 'service_role');
    case 'service_role': return has('service_role');
  }
}

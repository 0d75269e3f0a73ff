// Who may call each function of the API (schema public), in one table. The authorization
// matrix (test/api/authz-matrix.test.ts) and the fuzz suite (test/api/fuzz.test.ts) read it,
// and both fail when the database has a function that is not listed here: a new function
// must say who may call it.
//
// callers:
//   'member'       any signed-in member (administrators are members too)
//   'admin'        members with the administrator role only (rebate.require_admin)
//   'owner'        the store's owner (or an administrator): rebate.require_store_owner
//   'service_role' the server side (edge functions, schedules)
// owns: arguments naming one of the caller's own objects; another member passing them is
// refused as if the object did not exist.

export type Caller = 'member' | 'admin' | 'owner' | 'service_role';
export type ObjectKind = 'entry' | 'order' | 'store';

export interface Access {
  callers: Caller[];
  owns?: Record<string, ObjectKind>;
}

const member: Access = { callers: ['member'] };
const admin: Access = { callers: ['admin'] };
const service: Access = { callers: ['service_role'] };

export const ACCESS: Record<string, Access> = {
  // members: their own orders, entries, wallet, messages, referral
  create_order: member,
  preview_order: member,
  my_orders: member,
  my_order: { callers: ['member'], owns: { p_order_id: 'order' } },
  cancel_my_order: { callers: ['member'], owns: { p_order_id: 'order' } },
  my_entries: member,
  queue_process: { callers: ['member'], owns: { p_entry_id: 'entry' } },
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
  my_withdrawals: member,
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
  my_rewards: member,
  merchant_invite_info: member,
  submit_merchant_application: member,
  my_merchant_applications: member,
  my_stores: member,
  // store owners: their own store
  store_orders: { callers: ['owner'], owns: { p_store_id: 'store' } },
  store_queue_stats: { callers: ['owner'], owns: { p_store_id: 'store' } },
  qrcode_target: { callers: ['member'] },
  // administrators
  admin_approve_merchant_application: admin,
  admin_approve_withdrawal: admin,
  admin_create_merchant_invite_code: admin,
  admin_delete_member_level: admin,
  admin_dividend_overview: admin,
  admin_enable_all_products: admin,
  admin_get_rule_settings: admin,
  admin_get_settings: admin,
  admin_list_member_levels: admin,
  admin_list_merchant_applications: admin,
  admin_list_merchant_invite_codes: admin,
  admin_list_stores: admin,
  admin_list_withdrawals: admin,
  admin_member_referral: admin,
  admin_reject_merchant_application: admin,
  admin_reject_withdrawal: admin,
  admin_retry_settlement: admin,
  admin_save_member_level: admin,
  admin_set_member_level: admin,
  admin_set_member_team_level: admin,
  admin_set_merchant_invite_code_active: admin,
  admin_set_product_rebate: admin,
  admin_update_cashier: admin,
  admin_update_rule_settings: admin,
  admin_update_settings: admin,
  admin_update_store: admin,
  admin_upsert_team_level: admin,
  schedule_status: { callers: ['admin', 'service_role'] },
  // the server side: payments, fulfilment, schedules, WeChat caches, login
  accept_payment: service,
  mark_order_paid: service,
  settle_pending: service,
  prepare_payment: service,
  cancel_order: service,
  complete_order: service,
  refund_order: service,
  clear_queues: service,
  run_dividend: service,
  reconcile: service,
  member_id_by_code: service,
  upsert_member_by_openid: service,
  qrcode_store: service,
  wechat_token_get: service,
  wechat_token_put: service,
  wechat_token_invalidate: service,
};

/** Error codes that mean "you may not": the refusals the matrix expects from the wrong caller. */
export const PERMISSION_REFUSALS = new Set([
  '42501', 'PGRST301', 'not_signed_in', 'not_member', 'not_admin', 'store_not_found',
]);
